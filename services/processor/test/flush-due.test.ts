import { describe, expect, it } from 'vitest';
import { flushDue } from '../src/engine/processor.ts';

const task = (bufferAgeMs: number, writing = 0, redoReady = false) => ({ bufferAgeMs, bufferedCount: bufferAgeMs > 0 ? 1 : 0, writing, redoReady });

describe('when the buffers flush', () => {
  it('at the short interval while no flush is being written', () => {
    expect(flushDue([task(600), task(0)], 1_000, 500)).toBe(true);
    expect(flushDue([task(400), task(0)], 1_000, 500)).toBe(false);
  });

  it('at the long interval while any partition is still writing a flush', () => {
    expect(flushDue([task(600), task(0, 1)], 1_000, 500)).toBe(false);
    expect(flushDue([task(1_000), task(0, 1)], 1_000, 500)).toBe(true);
  });

  it('never later than the interval, whatever the minimum; a redo as soon as it is ready', () => {
    expect(flushDue([task(300)], 300, 500)).toBe(true);
    expect(flushDue([task(0, 1, true)], 1_000, 500)).toBe(true);
    expect(flushDue([task(0)], 1_000, 500)).toBe(false);
  });
});
