import { describe, expect, it } from 'vitest';
import { idleAdvanceTo, IdleStep } from '../src/engine/idle-advance.ts';

const HOUR = 3_600_000;
const LATE = HOUR;

describe('a close in steps', () => {
  it('advances one step past the next due window (less the lateness), skipping where nothing is due, never past the target', () => {
    // Due at 10 h: the horizon must pass 10 h, so stream time goes to 10 h + lateness + one step.
    expect(idleAdvanceTo(5 * HOUR, 100 * HOUR, 10 * HOUR, LATE, 2 * HOUR)).toBe(13 * HOUR);
    // A due window already behind stream time (filed lazily): one step on from stream time.
    expect(idleAdvanceTo(20 * HOUR, 100 * HOUR, 10 * HOUR, LATE, 2 * HOUR)).toBe(22 * HOUR);
    expect(idleAdvanceTo(5 * HOUR, 12 * HOUR, 10 * HOUR, LATE, 2 * HOUR)).toBe(12 * HOUR);
    // Nothing due, no stream time yet, or nothing to advance: the target at once.
    expect(idleAdvanceTo(5 * HOUR, 100 * HOUR, null, LATE, 2 * HOUR)).toBe(100 * HOUR);
    expect(idleAdvanceTo(null, 100 * HOUR, 10 * HOUR, LATE, 2 * HOUR)).toBe(100 * HOUR);
    expect(idleAdvanceTo(100 * HOUR, 90 * HOUR, 10 * HOUR, LATE, 2 * HOUR)).toBe(90 * HOUR);
  });

  it('halves its step after a flush over the key budget and doubles it under a quarter of it, within 1 min and 400 days', () => {
    const step = new IdleStep(HOUR, 100_000);
    step.observe(150_000);
    expect(step.stepMs).toBe(HOUR / 2);
    step.observe(60_000); // within the budget and over a quarter: kept
    expect(step.stepMs).toBe(HOUR / 2);
    step.observe(10_000);
    step.observe(0);
    expect(step.stepMs).toBe(2 * HOUR);
    for (let i = 0; i < 20; i++) step.observe(1_000_000);
    expect(step.stepMs).toBe(60_000);
    for (let i = 0; i < 40; i++) step.observe(0);
    expect(step.stepMs).toBe(400 * 24 * HOUR);
  });
});
