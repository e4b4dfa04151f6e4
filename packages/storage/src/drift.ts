// The storage contract against a live database: does system.columns agree with the typed rows?
import type { ClickHouseClient } from '@cs/clickhouse';
import { writtenColumns, type ColumnKind, type ValueKind } from './columns.ts';
import { TABLES } from './tables.ts';

const TYPE_PATTERNS: Record<ValueKind, RegExp> = {
  string: /^(String|FixedString\(\d+\)|Enum(8|16)\(.*\))$/,
  bool: /^Bool$/,
  int: /^U?Int(8|16|32|64)$/,
  float: /^Float(32|64)$/,
  epoch_ms: /^DateTime64\(3(, '[^']+')?\)$/,
  epoch_s: /^DateTime(\('[^']+'\))?$/,
  date: /^Date(32)?$/,
};

/** Why a ClickHouse column type cannot hold a column of this kind, or null when it can. */
export function typeMismatch(kind: ColumnKind, type: string): string | null {
  const nullable = kind.endsWith('?');
  const value = (nullable ? kind.slice(0, -1) : kind) as ValueKind;
  let inner = type;
  let lowCardinality = false;
  let isNullable = false;
  for (let m; (m = /^(LowCardinality|Nullable)\((.*)\)$/.exec(inner)); inner = m[2]!) {
    if (m[1] === 'Nullable') isNullable = true;
    else lowCardinality = true;
  }
  if (lowCardinality && value !== 'string') return `${type} is LowCardinality, for ${value} values`;
  if (isNullable !== nullable) return nullable ? `${type} is not Nullable, the row may hold null` : `${type} is Nullable, the row never holds null`;
  return TYPE_PATTERNS[value].test(inner) ? null : `${type} does not hold ${value} values`;
}

interface SystemColumn {
  table: string;
  name: string;
  type: string;
  default_kind: string;
}

/**
 * Differences between this package and database `db` as the engine has it: a table of TABLES missing
 * or one not in TABLES, a row column the table lacks or types otherwise, a table column without a
 * default that rows do not fill. Empty when the code and the migrations agree.
 */
export async function describeDrift(client: ClickHouseClient, db: string): Promise<string[]> {
  const problems: string[] = [];
  const tables = await client.query({ query: 'SELECT name FROM system.tables WHERE database = {db:String}', query_params: { db }, format: 'JSONEachRow' });
  const existing = new Set((await tables.json<{ name: string }>()).map((t) => t.name));
  const known = new Set<string>(Object.values(TABLES));
  for (const name of known) if (!existing.has(name)) problems.push(`${db}.${name}: in TABLES but not in the database`);
  for (const name of existing) if (!known.has(name)) problems.push(`${db}.${name}: in the database but not in TABLES`);

  const rs = await client.query({
    query: 'SELECT table, name, type, default_kind FROM system.columns WHERE database = {db:String} ORDER BY table, position',
    query_params: { db },
    format: 'JSONEachRow',
  });
  const byTable = new Map<string, Map<string, SystemColumn>>();
  for (const c of await rs.json<SystemColumn>()) {
    let table = byTable.get(c.table);
    if (!table) byTable.set(c.table, (table = new Map()));
    table.set(c.name, c);
  }
  for (const [table, columns] of writtenColumns()) {
    const actual = byTable.get(table);
    if (!actual) continue; // reported above
    for (const [name, kind] of Object.entries(columns)) {
      const column = actual.get(name);
      const mismatch = column ? typeMismatch(kind, column.type) : 'no such column';
      if (mismatch) problems.push(`${db}.${table}.${name} (${kind}): ${mismatch}`);
    }
    for (const column of actual.values()) {
      if (column.default_kind === '' && !(column.name in columns)) problems.push(`${db}.${table}.${column.name} (${column.type}): not in the typed row, and it has no default`);
    }
  }
  return problems;
}
