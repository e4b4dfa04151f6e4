/**
 * The embedded ClickHouse's insert ceiling for `npm run bench:seed`: the rows the processor wrote for
 * the seed day, re-inserted through @cs/clickhouse's insertRows (whatever format it uses) into a
 * fresh store, with no processing in between. Row contents come from bench/seed-spool.ts; the number
 * of rows and of insert calls per table come from the processor's own counters, so the load matches
 * what it wrote: a table's spooled rows are cycled when merges left fewer than were inserted (partial
 * metric sums and rewritten contacts collapse), and its rows are cut into as many batches as it made
 * insert calls. Batches are grouped into flush-like rounds (one insert per table, in parallel, as a
 * flush writes), `--lanes` rounds at a time. Only the insertRows calls are timed; reading and parsing
 * the spool happens between them.
 *
 * `--share` below 1 stops after that share of the rounds (the rate is of what was inserted).
 *
 *   node --import tsx bench/seed-inserts.ts --data-dir FRESH --spool-dir O --plan '{"raw_sessions":{"rows":N,"calls":C},…}'
 *        [--lanes 1] [--share 1] [--time-zone Z]
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { insertRows } from '@cs/clickhouse';
import type { SpoolColumn } from './seed-spool.ts';
import { fmt, openBenchStore, report } from './support.ts';

export interface InsertPlan {
  [table: string]: { rows: number; calls: number };
}

export interface InsertsResult {
  type: 'inserts-result';
  /** Summed wall time of the timed insert rounds. */
  ms: number;
  rows: number;
  calls: number;
  lanes: number;
  perTable: Record<string, { rows: number; calls: number; seconds: number; spooled: number }>;
  /** Rows of the plan (all rounds); `rows` / `plannedRows` is the share inserted. */
  plannedRows: number;
  /** Tables of the plan with nothing spooled (skipped). */
  skipped: string[];
}

/** Lines of a JSON-lines file, from the start again at its end. */
class CyclingLines {
  private fd: number;
  private buf = Buffer.alloc(8 * 2 ** 20);
  private pending: string[] = [];
  private tail = '';
  private pos = 0;

  constructor(private readonly file: string) {
    this.fd = openSync(file, 'r');
  }

  next(): string {
    for (let guard = 0; !this.pending.length; guard++) {
      const n = readSync(this.fd, this.buf, 0, this.buf.length, this.pos);
      if (n === 0) {
        if (this.tail) this.pending.push(this.tail);
        this.tail = '';
        this.pos = 0;
        if (guard > 1) throw new Error(`${this.file} has no rows`);
        continue;
      }
      this.pos += n;
      const lines = (this.tail + this.buf.toString('utf8', 0, n)).split('\n');
      this.tail = lines.pop()!;
      this.pending = lines.filter(Boolean).reverse();
    }
    return this.pending.pop()!;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** 64-bit integers come quoted from the spool; the processor passes the ones that fit a double as numbers. */
function rowParser(columns: SpoolColumn[]): (line: string) => Record<string, unknown> {
  const wide = columns.filter((c) => /^(Nullable\()?U?Int64\b/.test(c.type)).map((c) => c.name);
  return (line) => {
    const row = JSON.parse(line) as Record<string, unknown>;
    for (const name of wide) {
      const v = row[name];
      if (typeof v === 'string' && Number.isSafeInteger(Number(v))) row[name] = Number(v);
    }
    return row;
  };
}

/** Rows of batch `j` when `rows` are cut into `calls` batches as evenly as integers allow. */
const batchSize = (rows: number, calls: number, j: number) => Math.floor(((j + 1) * rows) / calls) - Math.floor((j * rows) / calls);

const { values: args } = parseArgs({
  options: { 'data-dir': { type: 'string' }, 'spool-dir': { type: 'string' }, plan: { type: 'string' }, lanes: { type: 'string', default: '1' }, share: { type: 'string', default: '1' }, 'time-zone': { type: 'string', default: 'UTC' } },
});
const dataDir = args['data-dir']!;
const spoolDir = args['spool-dir']!;
const plan = JSON.parse(args.plan ?? '{}') as InsertPlan;
const lanes = Math.max(1, Number(args.lanes));
const share = Math.min(1, Math.max(0, Number(args.share)));
if (!dataDir || !spoolDir || !Object.keys(plan).length) throw new Error('usage: seed-inserts --data-dir D --spool-dir O --plan JSON');

const progress = (line: string) => process.stderr.write(`  [inserts] ${line}\n`);
const ch = await openBenchStore(dataDir, args['time-zone']!);
try {
  const columns = JSON.parse(readFileSync(join(spoolDir, 'columns.json'), 'utf8')) as Record<string, SpoolColumn[]>;
  const spooled = JSON.parse(readFileSync(join(spoolDir, 'rows.json'), 'utf8')) as Record<string, number>;
  const result: InsertsResult = { type: 'inserts-result', ms: 0, rows: 0, calls: 0, lanes, plannedRows: 0, perTable: {}, skipped: [] };
  const tables = Object.entries(plan).filter(([table, p]) => {
    if (p.rows > 0 && p.calls > 0 && (spooled[table] ?? 0) > 0) return true;
    result.skipped.push(table);
    return false;
  });
  const readers = new Map(tables.map(([table]) => [table, { lines: new CyclingLines(join(spoolDir, `${table}.jsonl`)), parse: rowParser(columns[table] ?? []) }]));
  for (const [table, p] of tables) result.perTable[table] = { rows: 0, calls: 0, seconds: 0, spooled: spooled[table] ?? 0 };
  const rounds = Math.max(...tables.map(([, p]) => p.calls));
  const plannedRows = tables.reduce((a, [, p]) => a + p.rows, 0);
  result.plannedRows = plannedRows;
  const lastRound = Math.max(1, Math.ceil(rounds * share));
  let lastProgress = performance.now();
  for (let first = 0; first < lastRound; first += lanes) {
    // Untimed: read and parse this step's batches.
    const batches: { table: string; j: number; rows: Record<string, unknown>[] }[] = [];
    for (let i = first; i < Math.min(lastRound, first + lanes); i++) {
      for (const [table, p] of tables) {
        const j = Math.floor((i * p.calls) / rounds);
        if (Math.floor(((i + 1) * p.calls) / rounds) === j) continue;
        const reader = readers.get(table)!;
        const rows = Array.from({ length: batchSize(p.rows, p.calls, j) }, () => reader.parse(reader.lines.next()));
        batches.push({ table, j, rows });
      }
    }
    // Timed: the inserts, a round's tables in parallel and `lanes` rounds at once.
    const t = performance.now();
    await Promise.all(
      batches.map(async ({ table, j, rows }) => {
        const ti = performance.now();
        await insertRows(ch, `cs.${table}`, rows, { dedupToken: `bench-seed-ceiling-${table}-${j}` });
        const entry = result.perTable[table]!;
        entry.seconds += (performance.now() - ti) / 1000;
        entry.rows += rows.length;
        entry.calls++;
      }),
    );
    result.ms += performance.now() - t;
    result.rows += batches.reduce((a, b) => a + b.rows.length, 0);
    result.calls += batches.length;
    if (performance.now() - lastProgress >= 5000) {
      lastProgress = performance.now();
      progress(`${fmt(result.rows)} / ${fmt(plannedRows)} rows in ${fmt(result.calls)} inserts, ${fmt((result.rows / result.ms) * 1000)} rows/s of insert time`);
    }
  }
  for (const { lines } of readers.values()) lines.close();
  await report(result);
  await ch.close();
  process.exit(0);
} catch (err) {
  progress(`failed: ${(err as Error).stack ?? String(err)}`);
  await report({ type: 'error', message: (err as Error).message }).catch(() => undefined);
  process.exit(1);
}
