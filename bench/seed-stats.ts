/** The arithmetic of `npm run bench:seed`'s report: medians, histogram quantiles, regression slopes. */
import type { HistogramSnapshot } from './support.ts';

export function median(values: number[]): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The later snapshot minus the earlier one (observations made in between). */
export function histogramDelta(later: HistogramSnapshot, earlier: HistogramSnapshot): HistogramSnapshot {
  const before = new Map(earlier.buckets.map((b) => [b.le, b.count]));
  return {
    buckets: later.buckets.map((b) => ({ le: b.le, count: b.count - (before.get(b.le) ?? 0) })),
    count: later.count - earlier.count,
    sum: later.sum - earlier.sum,
  };
}

/**
 * The q-quantile (0–1) of a cumulative histogram, interpolated linearly inside its bucket as
 * Prometheus' histogram_quantile does; the largest finite bound when it falls in +Inf (past the
 * last bucket); NaN when empty.
 */
export function histogramQuantile(h: HistogramSnapshot, q: number): number {
  if (h.count <= 0) return NaN;
  const rank = q * h.count;
  let lowerLe = 0;
  let lowerCount = 0;
  for (const { le, count } of h.buckets) {
    if (count >= rank) {
      const inBucket = count - lowerCount;
      return inBucket > 0 ? lowerLe + ((le - lowerLe) * (rank - lowerCount)) / inBucket : le;
    }
    lowerLe = le;
    lowerCount = count;
  }
  return lowerLe;
}

/** Least-squares slope of y over x (units of y per unit of x); NaN with fewer than two distinct x. */
export function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.x - mx) * (p.y - my);
    sxx += (p.x - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : NaN;
}

/** A reading taken whenever the processor's events counter moved. */
export interface ProgressStep {
  /** ms since the worker's t0. */
  t: number;
  processed: number;
  cpuMs: number;
  rss: number;
  heapUsed: number;
  flushes: HistogramSnapshot;
}

/**
 * The readings at k/10 of `events` (k = 0…10; k = 0 is `origin`). The counter moves a whole flush
 * at a time, so time and CPU are interpolated on the line through consecutive readings (a flush's
 * events spread over the time since the previous one); memory and flush latencies are those of the
 * first reading at or past the mark. Marks the steps never reached are left out.
 */
export function decileMarks(origin: ProgressStep, steps: ProgressStep[], events: number): (ProgressStep & { k: number })[] {
  const marks = [{ ...origin, k: 0 }];
  let prev = origin;
  let i = 0;
  for (let k = 1; k <= 10; k++) {
    const target = (events * k) / 10;
    while (i < steps.length && steps[i]!.processed < target) prev = steps[i++]!;
    const s = steps[i];
    if (!s) break;
    const f = s.processed > prev.processed ? (target - prev.processed) / (s.processed - prev.processed) : 1;
    marks.push({ ...s, k, processed: target, t: prev.t + f * (s.t - prev.t), cpuMs: prev.cpuMs + f * (s.cpuMs - prev.cpuMs) });
  }
  return marks;
}
