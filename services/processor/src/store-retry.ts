import type { RetryOptions } from '@cs/clickhouse';
import type { Logger } from '@cs/runtime';

/**
 * How the processor meets a store that is down or flaky: it waits (transient errors retried without
 * end, every 10 s at most, a warning per retry). Flushes hold, the consumer stops fetching, nothing
 * is committed, and the processor carries on where it was once the store answers, rather than
 * exiting and restoring over and over. Used for its inserts, its log reads, the dead-letter sink
 * and its start.
 */
export function untilTheStoreAnswers(logger: Logger, what: string): RetryOptions {
  return {
    maxAttempts: Infinity,
    maxDelayMs: 10_000,
    onRetry: (err, attempt, delayMs) => logger.warn({ err: (err as Error).message, attempt, retryInMs: delayMs }, `ClickHouse ${what} failed with a transient error; retrying`),
  };
}
