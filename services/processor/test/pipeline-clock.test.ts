import { describe, expect, it } from 'vitest';
import type { PartitionLag } from '@cs/kafka';
import { createLogger } from '@cs/runtime';
import { PipelineClock } from '../src/engine/pipeline-clock.ts';

const clock = () =>
  new PipelineClock({ admin: {} as never, client: {} as never, db: 'cs', groupId: 'g', topicPrefix: '', topics: ['cs.sessions', 'cs.agents'], idleFlushMs: 30_000, logger: createLogger('test', 'silent') });
const lag = (topic: string, partition: number, high: number, lagged = 0): PartitionLag => ({ topic, partition, committed: String(high - lagged), high: String(high), lag: lagged });

describe('pipeline clock (SPEC §4 idle rule)', () => {
  it('is all idle only after every partition was caught up and unchanged for CS_IDLE_FLUSH', () => {
    const c = clock();
    const caughtUp = [lag('cs.sessions', 0, 100), lag('cs.sessions', 1, 80), lag('cs.agents', 0, 3)];
    c.observe(0, false, caughtUp); // first sight: nothing to compare with yet
    c.observe(2_000, false, caughtUp); // unchanged since: idle from here
    expect(c.allIdle(31_999)).toBe(false);
    expect(c.allIdle(32_000)).toBe(true);
    expect(c.partitionsOf('cs.sessions')).toBe(2);
    expect(c.partitionsOf('cs.agents')).toBe(1);
  });

  it('a partition that lags, a log end that moved, or this instance holding unflushed messages restarts the count', () => {
    const c = clock();
    const base = [lag('cs.sessions', 0, 100), lag('cs.agents', 0, 3)];
    c.observe(0, false, base);
    c.observe(20_000, false, [lag('cs.sessions', 0, 1_000_100, 1_000_000), lag('cs.agents', 0, 3)]); // a busy topic lags
    expect(c.allIdle(40_000)).toBe(false);
    c.observe(40_000, false, [lag('cs.sessions', 0, 1_000_100), lag('cs.agents', 0, 3)]);
    expect(c.allIdle(69_999)).toBe(false);
    c.observe(50_000, false, [lag('cs.sessions', 0, 1_000_101), lag('cs.agents', 0, 3)]); // caught up again, but new messages came
    expect(c.allIdle(79_999)).toBe(false);
    c.observe(80_000, true, [lag('cs.sessions', 0, 1_000_101), lag('cs.agents', 0, 3)]); // buffered here, not yet committed
    expect(c.allIdle(110_000)).toBe(false);
    c.observe(110_000, false, [lag('cs.sessions', 0, 1_000_101), lag('cs.agents', 0, 3)]);
    expect(c.allIdle(140_000)).toBe(true);
    c.observe(141_000, false, []); // no partitions known (the poll found none): not idle
    expect(c.allIdle(200_000)).toBe(false);
  });

  it('the pipeline-wide stream time is the largest of its own partitions and of the other instances', () => {
    const c = clock();
    expect(c.streamTime([null, null])).toBeNull();
    expect(c.streamTime([5, null, 9, 7])).toBe(9);
  });
});
