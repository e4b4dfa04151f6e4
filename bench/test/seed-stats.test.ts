import { describe, expect, it } from 'vitest';
import { decileMarks, histogramDelta, histogramQuantile, median, slope, type ProgressStep } from '../seed-stats.ts';
import type { HistogramSnapshot } from '../support.ts';

/** Finite buckets (cumulative) and the total count, which the +Inf bucket holds. */
const hist = (counts: [number, number][], count: number, sum = 0): HistogramSnapshot => ({ buckets: counts.map(([le, c]) => ({ le, count: c })), count, sum });

describe('seed bench arithmetic', () => {
  it('median of odd and even counts, NaN when empty', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('histogram quantiles interpolate inside the bucket, as histogram_quantile does', () => {
    const h = hist([[0.1, 5], [0.5, 10]], 10);
    expect(histogramQuantile(h, 0.5)).toBeCloseTo(0.1);
    expect(histogramQuantile(h, 0.75)).toBeCloseTo(0.3);
    expect(histogramQuantile(hist([[1, 0]], 4), 0.99)).toBe(1);
    expect(histogramQuantile(hist([[1, 0]], 0), 0.5)).toBeNaN();
  });

  it('quantiles past the last bucket are its bound, also after the JSON of the IPC (no Infinity to become null)', () => {
    // A decile of the 22:32 seed run: most flushes over 30 s read as p50 21.7 s, p95 10.5 s, p99 2.1 s.
    const h = JSON.parse(JSON.stringify(hist([[10, 2], [30, 4]], 21))) as HistogramSnapshot;
    expect([0.5, 0.95, 0.99].map((q) => histogramQuantile(h, q))).toEqual([30, 30, 30]);
    expect(histogramQuantile(h, 0.05)).toBeCloseTo(5 + 0.25);
  });

  it('a histogram delta holds only what was observed in between', () => {
    const d = histogramDelta(hist([[0.1, 7]], 12, 3), hist([[0.1, 5]], 6, 1));
    expect(d).toEqual(hist([[0.1, 2]], 6, 2));
  });

  it('slope is the least-squares fit', () => {
    expect(slope([{ x: 0, y: 1 }, { x: 1, y: 3 }, { x: 2, y: 5 }])).toBeCloseTo(2);
    expect(slope([{ x: 0, y: 1 }, { x: 1, y: 0 }, { x: 2, y: 1 }])).toBeCloseTo(0);
    expect(slope([{ x: 1, y: 1 }])).toBeNaN();
  });

  it('decile marks interpolate time and CPU between the counter readings around them', () => {
    const h = hist([], 0);
    const step = (t: number, processed: number): ProgressStep => ({ t, processed, cpuMs: t * 2, rss: t, heapUsed: t, flushes: h });
    // One flush of 50 events at t = 10, then one of 50 at t = 30.
    const marks = decileMarks(step(0, 0), [step(10, 50), step(30, 100)], 100);
    expect(marks.map((m) => m.k)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(marks[1]!.t).toBeCloseTo(2);
    expect(marks[5]!.t).toBeCloseTo(10);
    expect(marks[6]!.t).toBeCloseTo(14);
    expect(marks[10]!.t).toBeCloseTo(30);
    expect(marks[6]!.cpuMs).toBeCloseTo(28);
    expect(marks[6]!.rss).toBe(30);
    // Marks the readings never reached are left out.
    expect(decileMarks(step(0, 0), [step(10, 35)], 100).map((m) => m.k)).toEqual([0, 1, 2, 3]);
  });
});
