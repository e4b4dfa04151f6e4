/**
 * Spools the rows of a store the processor filled to JSON-lines files, one per table, for the insert
 * ceiling of `npm run bench:seed` (bench/seed-inserts.ts re-inserts them into a fresh store; chdb
 * binds one data directory per process, hence two processes). Rows are written in the shape the
 * processor hands to insertRows: times as epoch numbers (DateTime64 in ms, DateTime in s), 64-bit
 * integers quoted (the inserting side turns the safe ones back into numbers), only insertable columns.
 *
 *   node --import tsx bench/seed-spool.ts --data-dir D --out-dir O --tables raw_sessions,metric_sums,…
 *
 * Writes O/<table>.jsonl, O/columns.json ({ table: [{ name, type }] }) and O/rows.json ({ table: rows }); reports over IPC.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openBenchStore, report } from './support.ts';

export interface SpoolColumn {
  name: string;
  type: string;
}

export interface SpoolResult {
  type: 'spool-result';
  rows: Record<string, number>;
  columns: Record<string, SpoolColumn[]>;
  ms: number;
}

/** The SELECT expression that yields `c` as the processor writes it. */
function exportExpression(c: SpoolColumn): string {
  const q = `\`${c.name}\``;
  if (/DateTime64/.test(c.type)) return `toUnixTimestamp64Milli(${q}) AS ${q}`;
  if (/DateTime/.test(c.type)) return `toUnixTimestamp(${q}) AS ${q}`;
  return q;
}

const { values: args } = parseArgs({ options: { 'data-dir': { type: 'string' }, 'out-dir': { type: 'string' }, tables: { type: 'string' } } });
const dataDir = args['data-dir']!;
const outDir = args['out-dir']!;
const tables = (args.tables ?? '').split(',').filter(Boolean);
if (!dataDir || !outDir || !tables.length) throw new Error('usage: seed-spool --data-dir D --out-dir O --tables a,b');

const t0 = performance.now();
const ch = await openBenchStore(dataDir, 'UTC', false);
const result: SpoolResult = { type: 'spool-result', rows: {}, columns: {}, ms: 0 };
try {
  for (const table of tables) {
    const columns = await (
      await ch.query({
        query: `SELECT name, type FROM system.columns WHERE database = 'cs' AND table = {table:String} AND default_kind NOT IN ('MATERIALIZED', 'ALIAS', 'EPHEMERAL') ORDER BY position`,
        query_params: { table },
        format: 'JSONEachRow',
      })
    ).json<SpoolColumn>();
    result.columns[table] = columns;
    const file = join(outDir, `${table}.jsonl`);
    await ch.command({
      query: `INSERT INTO FUNCTION file('${file.replace(/'/g, "\\'")}', 'JSONEachRow') SELECT ${columns.map(exportExpression).join(', ')} FROM cs.\`${table}\``,
      clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
    });
    const [count] = await (await ch.query({ query: `SELECT count() AS n FROM cs.\`${table}\``, format: 'JSONEachRow' })).json<{ n: string }>();
    result.rows[table] = Number(count?.n ?? 0);
    process.stderr.write(`  [spool] ${table}: ${result.rows[table]!.toLocaleString('en-US')} rows\n`);
  }
  writeFileSync(join(outDir, 'columns.json'), JSON.stringify(result.columns));
  writeFileSync(join(outDir, 'rows.json'), JSON.stringify(result.rows));
  result.ms = performance.now() - t0;
  await report(result);
  await ch.close();
  process.exit(0);
} catch (err) {
  process.stderr.write(`  [spool] failed: ${(err as Error).stack ?? String(err)}\n`);
  await report({ type: 'error', message: (err as Error).message }).catch(() => undefined);
  process.exit(1);
}
