// Durable, idempotent-on-retry inserts.
import { Readable } from 'node:stream';
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import { counter, histogram } from '@cs/runtime';
import { isClickHouseError } from './errors.ts';
import { retryTransient, type RetryOptions } from './retry.ts';
import { TsvBuffer } from './tsv.ts';

/** An insert as the embedded engine takes it natively: its table, columns and settings, and the body's bytes. */
export interface RawInsert {
  table: string;
  columns: readonly string[];
  settings: Record<string, string | number>;
  format: 'TabSeparated';
  values: Buffer;
}

/**
 * The insert body as a byte stream (what @clickhouse/client sends over HTTP), carrying the insert
 * too: the embedded engine takes the bytes as they are (EmbeddedConnection), which spares turning
 * MBs of TSV into one SQL string and copying it per insert.
 */
export function insertStream(insert: RawInsert): Readable & { insert: RawInsert } {
  return Object.assign(Readable.from([insert.values], { objectMode: false }), { insert });
}

/** A ClickHouse string literal. */
const quoteString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

const insertedRows = counter('cs_clickhouse_inserted_rows_total', 'Rows written to ClickHouse', ['table']);
const insertErrors = counter('cs_clickhouse_insert_errors_total', 'Failed ClickHouse insert attempts (retried or not)', ['table']);
const insertRetries = counter('cs_clickhouse_insert_retries_total', 'ClickHouse insert attempts retried after a transient error', ['table']);
const insertSeconds = histogram(
  'cs_clickhouse_insert_duration_seconds',
  'Time for insertRows to complete, retries included',
  ['table'],
  [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
);

export interface InsertOptions extends RetryOptions {
  /**
   * insert_deduplication_token: a retry or a replay with the same token and rows is written once
   * (the table needs `non_replicated_deduplication_window` or a Replicated engine). Derive it from the
   * input (e.g. topic-partition-offset range), never from time.
   */
  dedupToken?: string;
}

/** A non-transient insert failure (or transient ones past maxAttempts), naming the table. */
export class InsertError extends Error {
  override name = 'InsertError';
  constructor(
    readonly table: string,
    readonly attempts: number,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`insert into ${table} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${reason}`, { cause });
  }
  /** ClickHouse error code (e.g. "60") when the server/engine raised one. */
  get code(): string | undefined {
    return isClickHouseError(this.cause) ? this.cause.code : undefined;
  }
}

/**
 * Writes `rows` into `table` (qualify it: `cs.metrics`) as TabSeparated text, the columns being the
 * keys of the first row (every row must have them). Resolves once ClickHouse has committed the rows
 * (async_insert off, wait_end_of_query on). Transient failures are retried with exponential backoff,
 * reusing `dedupToken`, so a retry after an ambiguous failure does not duplicate.
 */
export async function insertRows(client: ClickHouseClient, table: string, rows: readonly object[], opts: InsertOptions = {}): Promise<void> {
  if (rows.length === 0) return;
  const { columns, body } = encodeRows(rows);
  await insertTsv(client, table, columns, body, opts);
}

/** Rows as a TabSeparated body, the columns being the keys of the first row (every row must have them). */
export function encodeRows(rows: readonly object[]): { columns: string[]; body: TsvBuffer } {
  const columns = rows.length ? Object.keys(rows[0]!) : [];
  const body = new TsvBuffer();
  for (const row of rows) body.row(row, columns);
  return { columns, body };
}

/** insertRows for rows already encoded as TabSeparated lines (in `columns` order). */
export async function insertTsv(client: ClickHouseClient, table: string, columns: readonly string[], body: TsvBuffer, opts: InsertOptions = {}): Promise<void> {
  const rows = body.rows;
  if (rows === 0) return;
  const { dedupToken, signal } = opts;
  // The insert's own settings go in its SETTINGS clause: they apply to this statement only (chdb
  // would otherwise need a connection of its own per insert to keep them from leaking).
  const own: Record<string, string | number> = dedupToken === undefined ? { async_insert: 0 } : { async_insert: 0, insert_deduplicate: 1, insert_deduplication_token: dedupToken };
  const clause = Object.entries(own)
    .map(([k, v]) => `${k} = ${typeof v === 'string' ? quoteString(v) : v}`)
    .join(', ');
  const query = `INSERT INTO ${table} (${columns.join(', ')}) SETTINGS ${clause} FORMAT TabSeparated`;
  const insert: RawInsert = { table, columns, settings: own, format: 'TabSeparated', values: body.bytes };
  const settings: ClickHouseSettings = { wait_end_of_query: 1 };
  const stopTimer = insertSeconds.startTimer({ table });
  try {
    await retryTransient(
      async () => {
        const result = await client.exec({ query, values: insertStream(insert), clickhouse_settings: settings, abort_signal: signal });
        result.stream.destroy();
      },
      { ...opts, onRetry: (err, attempt, delay) => (insertRetries.inc({ table }), opts.onRetry?.(err, attempt, delay)) },
      { onError: () => insertErrors.inc({ table }), giveUp: (err, attempts) => new InsertError(table, attempts, err) },
    );
    insertedRows.inc({ table }, rows);
  } finally {
    stopTimer();
  }
}
