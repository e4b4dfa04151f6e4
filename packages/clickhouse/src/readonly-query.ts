// Runs one query on the embedded store on its own connection: read-only for analysts, writable for
// the SQL endpoint's writer and `npm run sql -- --write`.
import { ClickHouseError, type DataFormat } from '@clickhouse/client';
import { openChdb } from './embedded.ts';
import { formatClause, isMultiStatement } from './sql-text.ts';

export interface EmbeddedQuery {
  sql: string;
  /** Default database for unqualified names (like the HTTP `database` parameter). */
  database?: string;
  /** Output format when the query has no FORMAT clause (default TabSeparated, as ClickHouse's HTTP interface). */
  defaultFormat?: string;
  /** `{name:Type}` values in ClickHouse's text form, exactly as sent in `param_<name>` URL parameters. */
  params?: Record<string, string>;
  /** Settings applied before the session turns read-only. */
  settings?: Record<string, string>;
  /** `readonly` level for the session: 1 (default) refuses writes, DDL and setting changes in the query. 0 = writable. */
  readonly?: 0 | 1 | 2;
  /** Rows for an `INSERT … FORMAT <name>` in `sql`, sent after it (never parsed as SQL). */
  data?: string;
}

export interface EmbeddedQueryResult {
  body: Buffer;
  format: string;
  summary: Record<string, string>;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A ClickHouse-style error raised before the query reaches the engine. */
export function clientSideError(code: number, type: string, message: string): ClickHouseError {
  return new ClickHouseError({ code: String(code), type, message });
}

function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * Session state (settings, params, database, readonly) is set with SET/USE on a connection opened for
 * this query alone, so concurrent queries never see each other's state. Parameters are bound with
 * `SET param_x = '<text>'`, which parses the value exactly like the HTTP interface parses `param_x`.
 */
export async function runEmbeddedQuery(dataDir: string, q: EmbeddedQuery): Promise<EmbeddedQueryResult> {
  if (isMultiStatement(q.sql)) throw clientSideError(62, 'SYNTAX_ERROR', 'Multi-statements are not allowed');
  const assignments: string[] = [];
  for (const [name, value] of Object.entries(q.settings ?? {})) {
    if (!NAME.test(name)) throw clientSideError(115, 'UNKNOWN_SETTING', `Invalid setting name '${name}'`);
    assignments.push(`${name} = ${sqlString(value)}`);
  }
  for (const [name, value] of Object.entries(q.params ?? {})) {
    if (!NAME.test(name)) throw clientSideError(457, 'BAD_QUERY_PARAMETER', `Invalid query parameter name '${name}'`);
    assignments.push(`param_${name} = ${sqlString(value)}`);
  }
  if (q.database !== undefined && !NAME.test(q.database)) throw clientSideError(81, 'UNKNOWN_DATABASE', `Database ${q.database} does not exist`);
  const format = formatClause(q.sql) ?? q.defaultFormat ?? 'TabSeparated';

  const conn = openChdb(dataDir);
  try {
    if (assignments.length > 0) await conn.command({ query: `SET ${assignments.join(', ')}` });
    // A new connection starts in `default` (one engine call less for the writer's inserts).
    if (q.database !== undefined && q.database !== 'default') await conn.command({ query: `USE \`${q.database}\`` });
    const readonly = q.readonly ?? 1;
    if (readonly > 0) await conn.command({ query: `SET readonly = ${readonly}` });
    const query = q.data === undefined ? q.sql : `${q.sql}\n${q.data}`;
    const result = await conn.exec({ query, clickhouse_settings: { default_format: (q.defaultFormat ?? 'TabSeparated') as DataFormat } });
    const chunks: Buffer[] = [];
    for await (const chunk of result.stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
    return { body: Buffer.concat(chunks), format, summary: { ...result.summary } as Record<string, string> };
  } finally {
    await conn.close();
  }
}
