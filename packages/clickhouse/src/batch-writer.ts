// Buffers rows for one table and writes them with insertRows by size or age.
import type { ClickHouseClient } from '@clickhouse/client';
import { insertRows, type InsertOptions } from './insert.ts';

export interface BatchWriterOptions<T> {
  /** Flush once this many rows are buffered (default 10 000). */
  maxRows?: number;
  /** Flush rows that have waited this long (default 1000 ms). */
  maxDelayMs?: number;
  /** Dedup token for a batch (e.g. from the offsets it covers); none by default. */
  tokenFor?: (rows: readonly T[]) => string | undefined;
  /** Retry settings passed to insertRows. */
  retry?: Omit<InsertOptions, 'dedupToken'>;
  /** Failures of timer-triggered flushes (explicit flush() calls reject instead). */
  onError?: (err: Error) => void;
}

/**
 * Rows are written in add() order, one insert at a time. A failed batch goes back to the front of the
 * buffer and is retried by the next flush, so nothing is dropped silently.
 */
export class BatchWriter<T extends object> {
  #buffer: T[] = [];
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();
  readonly #maxRows: number;
  readonly #maxDelayMs: number;

  constructor(
    readonly client: ClickHouseClient,
    readonly table: string,
    readonly opts: BatchWriterOptions<T> = {},
  ) {
    this.#maxRows = opts.maxRows ?? 10_000;
    this.#maxDelayMs = opts.maxDelayMs ?? 1000;
  }

  get pending(): number {
    return this.#buffer.length;
  }

  /** Buffers rows; the returned promise settles when a size-triggered flush (if any) is done. */
  add(...rows: T[]): Promise<void> {
    this.#buffer.push(...rows);
    if (this.#buffer.length >= this.#maxRows) return this.flush();
    if (this.#timer === undefined && this.#buffer.length > 0) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.flush().catch((err: Error) => this.opts.onError?.(err));
      }, this.#maxDelayMs);
      this.#timer.unref();
    }
    return Promise.resolve();
  }

  /** Writes everything buffered so far. */
  flush(): Promise<void> {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const run = this.#chain.then(async () => {
      while (this.#buffer.length > 0) {
        const batch = this.#buffer.splice(0, this.#maxRows);
        try {
          await insertRows(this.client, this.table, batch, { ...this.opts.retry, dedupToken: this.opts.tokenFor?.(batch) });
        } catch (err) {
          this.#buffer.unshift(...batch);
          throw err;
        }
      }
    });
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** Flushes and stops the timer. */
  close(): Promise<void> {
    return this.flush();
  }
}
