// Retrying what failed for a reason that passes (a store restarting, a dropped connection, overload).
import { setTimeout as sleep } from 'node:timers/promises';
import { isClickHouseError } from './errors.ts';

export interface RetryOptions {
  /** Attempts in total, the first included (default 6; Infinity waits for the store without end). */
  maxAttempts?: number;
  /** First backoff delay (default 200 ms); doubles per attempt, with jitter, up to maxDelayMs (default 10 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  signal?: AbortSignal;
  /** Told of each transient failure before its retry (e.g. to log that the store is unreachable). */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
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
 * Runs `run` until it succeeds, retrying transient failures with exponential backoff. `onError` sees
 * every failed attempt; a permanent failure, or a transient one past maxAttempts, is thrown as
 * `giveUp(err, attempt)` makes it. Only for what may safely run twice (reads, or inserts with a token).
 */
export async function retryTransient<T>(run: () => Promise<T>, opts: RetryOptions = {}, hooks: { onError?: (err: unknown) => void; giveUp?: (err: unknown, attempts: number) => Error } = {}): Promise<T> {
  const { maxAttempts = 6, baseDelayMs = 200, maxDelayMs = 10_000, signal, onRetry } = opts;
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      hooks.onError?.(err);
      if (signal?.aborted || attempt >= maxAttempts || !isTransientError(err)) throw hooks.giveUp ? hooks.giveUp(err, attempt) : err;
      const delay = backoff(attempt, baseDelayMs, maxDelayMs);
      onRetry?.(err, attempt, delay);
      await sleep(delay, undefined, signal ? { signal } : undefined);
    }
  }
}
