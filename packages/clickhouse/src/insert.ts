// Durable, idempotent-on-retry inserts.
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import { counter, histogram } from '@cs/runtime';
import { isClickHouseError } from './errors.ts';
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

export interface InsertOptions {
  /**
   * insert_deduplication_token: a retry or a replay with the same token and rows is written once
   * (the table needs `non_replicated_deduplication_window` or a Replicated engine). Derive it from the
   * input (e.g. topic-partition-offset range), never from time.
   */
  dedupToken?: string;
  /** Attempts in total, the first included (default 6). */
  maxAttempts?: number;
  /** First backoff delay (default 200 ms); doubles per attempt, with jitter, up to maxDelayMs (default 10 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  signal?: AbortSignal;
  /** Told of each transient failure before its retry (e.g. to log that the store is unreachable). */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
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

/** ClickHouse error types worth retrying: overload, timeouts, network, replication hiccups. */
const TRANSIENT_TYPES = new Set([
  'TOO_MANY_PARTS',
  'TOO_MANY_SIMULTANEOUS_QUERIES',
  'TIMEOUT_EXCEEDED',
  'SOCKET_TIMEOUT',
  'NETWORK_ERROR',
  'ALL_CONNECTION_TRIES_FAILED',
  'MEMORY_LIMIT_EXCEEDED',
  'TABLE_IS_READ_ONLY',
  'UNKNOWN_STATUS_OF_INSERT',
  'KEEPER_EXCEPTION',
  'NO_ZOOKEEPER',
  'REPLICA_IS_NOT_IN_QUORUM',
  'TOO_FEW_LIVE_REPLICAS',
  'UNEXPECTED_END_OF_FILE',
]);
const TRANSIENT_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);
/** Messages of errors without a ClickHouse code: client timeouts, dropped sockets, proxies' 5xx pages. */
const TRANSIENT_MESSAGE = /timeout error|socket hang up|ECONNRESET|ECONNREFUSED|bad gateway|service unavailable|gateway time-?out|\b50[234]\b/i;

export function isTransientError(err: unknown): boolean {
  if (isClickHouseError(err)) return err.type !== undefined && TRANSIENT_TYPES.has(err.type);
  const e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined;
  if (typeof e?.code === 'string' && TRANSIENT_ERRNO.has(e.code)) return true;
  if (typeof e?.message === 'string' && TRANSIENT_MESSAGE.test(e.message)) return true;
  return e?.cause !== undefined && e.cause !== err ? isTransientError(e.cause) : false;
}

function backoff(attempt: number, base: number, max: number): number {
  const full = Math.min(max, base * 2 ** (attempt - 1));
  return Math.round(full / 2 + Math.random() * (full / 2));
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
  const { dedupToken, maxAttempts = 6, baseDelayMs = 200, maxDelayMs = 10_000, signal, onRetry } = opts;
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
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await client.exec({ query, values: insertStream(insert), clickhouse_settings: settings, abort_signal: signal });
        result.stream.destroy();
        insertedRows.inc({ table }, rows);
        return;
      } catch (err) {
        insertErrors.inc({ table });
        if (signal?.aborted || attempt >= maxAttempts || !isTransientError(err)) throw new InsertError(table, attempt, err);
        insertRetries.inc({ table });
        const delay = backoff(attempt, baseDelayMs, maxDelayMs);
        onRetry?.(err, attempt, delay);
        await sleep(delay, undefined, signal ? { signal } : undefined);
      }
    }
  } finally {
    stopTimer();
  }
}
