// What the embedded store's SQL endpoint lets each role run, beyond what the engine enforces.
//
// The embedded engine has a single all-powerful user, so the endpoint is where privileges are cut:
// - readers run with readonly = 1 (the engine refuses writes, DDL, SYSTEM and setting changes);
// - the writer may run what the pipeline runs — reads, INSERT INTO a table, CREATE and ALTER of
//   tables and views, DROP VIEW (to replace one), DROP TABLE of a retired table (RETIRED_TABLES),
//   DELETE, OPTIMIZE — on MergeTree-family, Memory or Null tables, nothing else (the grants of the
//   server's `writer` user: deploy/clickhouse);
// - nobody reaches the host: no INTO OUTFILE / FROM INFILE, no table functions or functions that read
//   files, URLs or other servers (readonly = 1 stops most, not `SELECT … INTO OUTFILE`).
import type { SqlRole } from './sql-access.ts';
import { clientSideError } from './readonly-query.ts';
import { maskSql } from './sql-text.ts';

/** An `INSERT … FORMAT <name>` statement and the data after it, as ClickHouse's HTTP interface takes an insert. */
export interface SplitStatement {
  statement: string;
  /** The rows after `FORMAT <name>`; undefined when the statement carries no data. */
  data: string | undefined;
}

const INSERT_WITH_FORMAT = /^\s*INSERT\s+INTO\b[\s\S]*?\bFORMAT\s+[A-Za-z_][A-Za-z0-9_]*/i;

export function splitInsertData(sql: string): SplitStatement {
  // Only the statement part is SQL; the data may hold anything, so the match is made on the masked text
  // and stops at the first FORMAT clause, before any data.
  const m = INSERT_WITH_FORMAT.exec(maskSql(sql));
  if (!m) return { statement: sql, data: undefined };
  const end = m.index + m[0].length;
  return { statement: sql.slice(0, end), data: sql.slice(end).replace(/^[ \t]*\r?\n?/, '') };
}

/**
 * Tables a migration retired, the only ones the writer may drop (a grant per table on a server):
 * 0010 replaced the per-grain metric-sums tables with one.
 */
export const RETIRED_TABLES = ['metric_sums_minute', 'metric_sums_hour', 'metric_sums_day'] as const;

const WRITER_STATEMENTS = [
  /^(SELECT|WITH|SHOW|DESCRIBE|DESC|EXISTS|EXPLAIN)\b/,
  /^INSERT\s+INTO\s+(?!FUNCTION\b)/,
  /^CREATE\s+(OR\s+REPLACE\s+)?(DATABASE|TABLE|VIEW|MATERIALIZED\s+VIEW)\b/,
  /^ALTER\s+TABLE\b/,
  /^DELETE\s+FROM\b/,
  /^OPTIMIZE\s+TABLE\b/,
  /^DROP\s+VIEW\b/,
  new RegExp(`^DROP TABLE (IF EXISTS )?[A-Z_][A-Z0-9_]*\\.(${RETIRED_TABLES.join('|').toUpperCase()})( SYNC)?;?$`),
];

/** Table engines the writer may create: local storage only (File, URL, S3, Executable … read the host or the network). */
const WRITER_ENGINES = /^(\w*MergeTree|Memory|Null)$/i;

/** Table functions and functions that read or write files, URLs, other servers or run programs. */
const HOST_FUNCTIONS =
  /\b(file|fileCluster|url|urlCluster|s3|s3Cluster|gcs|azureBlobStorage|azureBlobStorageCluster|hdfs|hdfsCluster|remote|remoteSecure|cluster|clusterAllReplicas|mysql|postgresql|mongodb|redis|sqlite|odbc|jdbc|executable|deltaLake|iceberg|hudi|dictionary)\s*\(/i;

function denied(account: string, what: string): never {
  throw clientSideError(497, 'ACCESS_DENIED', `${account}: Not enough privileges: ${what} is not allowed through this endpoint`);
}

/** Refuses a statement the role may not run (ACCESS_DENIED, 497); `statement` excludes insert data. */
export function checkStatement(statement: string, role: SqlRole, account: string): void {
  const masked = maskSql(statement);
  if (/\bINTO\s+OUTFILE\b/i.test(masked)) denied(account, 'INTO OUTFILE');
  if (/\bFROM\s+INFILE\b/i.test(masked)) denied(account, 'FROM INFILE');
  const fn = HOST_FUNCTIONS.exec(masked);
  if (fn) denied(account, `${fn[1]}()`);
  if (role !== 'writer') return; // readonly = 1 does the rest, with the engine's own READONLY errors
  const head = masked.replace(/^[\s(]+/, '').replace(/\s+/g, ' ').toUpperCase();
  if (!WRITER_STATEMENTS.some((re) => re.test(head))) denied(account, `"${head.split(' ').slice(0, 2).join(' ')}"`);
  for (const m of masked.matchAll(/\bENGINE\s*=\s*([A-Za-z_][A-Za-z0-9_]*)/gi)) {
    if (!WRITER_ENGINES.test(m[1]!)) denied(account, `ENGINE = ${m[1]}`);
  }
}
