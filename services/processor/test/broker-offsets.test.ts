import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '@cs/runtime';
import { aheadOfBroker } from '../src/engine/broker-offsets.ts';

const ref = { processor: 'g', topic: 'cs.sessions', partition: 2 };
const answering = (high: string) => ({ highWatermark: vi.fn(async () => high) });

/** A silent logger whose error lines the test can read. */
function recordingLogger() {
  const logger = createLogger('test', 'silent');
  const error = vi.spyOn(logger, 'error');
  return { logger, error };
}

describe("a restored log ahead of the broker's topic (broker reset, store kept)", () => {
  afterEach(() => vi.useRealTimers());

  it('is flagged when the next offset is beyond the high watermark, with the partition, offsets and what to do', async () => {
    const { logger, error } = recordingLogger();
    expect(await aheadOfBroker(answering('0'), ref, 120, logger)).toBe(true);
    expect(error).toHaveBeenCalledTimes(1);
    const [fields, message] = error.mock.calls[0] as unknown as [Record<string, unknown>, string];
    expect(fields).toEqual({ topic: 'cs.sessions', partition: 2, nextOffset: 120, highWatermark: 0 });
    expect(message).toMatch(/ahead of the broker's topic.*remove the processor's store/);
  });

  it('is not flagged at or below the high watermark, nor for a task that has read nothing', async () => {
    const { logger, error } = recordingLogger();
    expect(await aheadOfBroker(answering('120'), ref, 120, logger)).toBe(false);
    expect(await aheadOfBroker(answering('500'), ref, 120, logger)).toBe(false);
    const admin = answering('0');
    expect(await aheadOfBroker(admin, ref, 0, logger)).toBe(false);
    expect(admin.highWatermark).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
  });

  it('is not flagged when the high watermark is unknown: the query failed or did not answer within 3 s', async () => {
    const { logger, error } = recordingLogger();
    expect(await aheadOfBroker({ highWatermark: async () => Promise.reject(new Error('broker down')) }, ref, 120, logger)).toBe(false);
    vi.useFakeTimers();
    const hanging = aheadOfBroker({ highWatermark: () => new Promise<string>(() => {}) }, ref, 120, logger);
    await vi.advanceTimersByTimeAsync(3000);
    expect(await hanging).toBe(false);
    expect(error).not.toHaveBeenCalled();
  });
});
