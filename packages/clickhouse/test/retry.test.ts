import { describe, expect, it } from 'vitest';
import { isTransientError, retryTransient } from '../src/retry.ts';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' });
const fast = { baseDelayMs: 1, maxDelayMs: 2 };

describe('retryTransient', () => {
  it('tells transient failures (connection, timeouts, overload) from permanent ones (bad SQL)', () => {
    expect(isTransientError(refused())).toBe(true);
    expect(isTransientError(new Error('Timeout error.'))).toBe(true);
    expect(isTransientError(new Error('wrapped', { cause: refused() }))).toBe(true);
    expect(isTransientError(new Error('Syntax error: failed at position 1'))).toBe(false);
  });

  it('retries transient failures until the call succeeds, telling onRetry of each', async () => {
    let calls = 0;
    const retries: number[] = [];
    const value = await retryTransient(
      async () => {
        if (++calls < 4) throw refused();
        return 'answered';
      },
      { ...fast, maxAttempts: Infinity, onRetry: (_err, attempt) => retries.push(attempt) },
    );
    expect(value).toBe('answered');
    expect(retries).toEqual([1, 2, 3]);
  });

  it('throws a permanent failure at once, and a transient one after maxAttempts, as giveUp shapes it', async () => {
    let calls = 0;
    const permanent = retryTransient(async () => {
      calls++;
      throw new Error('Syntax error');
    }, fast);
    await expect(permanent).rejects.toThrow('Syntax error');
    expect(calls).toBe(1);
    const errors: unknown[] = [];
    const exhausted = retryTransient(
      async () => {
        throw refused();
      },
      { ...fast, maxAttempts: 3 },
      { onError: (err) => errors.push(err), giveUp: (_err, attempts) => new Error(`gave up after ${attempts}`) },
    );
    await expect(exhausted).rejects.toThrow('gave up after 3');
    expect(errors).toHaveLength(3);
  });
});
