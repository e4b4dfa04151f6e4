import { describe, expect, it } from 'vitest';
import type { MetricSumRow } from '@cs/storage';
import { Buckets } from '../src/buckets.ts';
import { FlushMarkers } from '../src/engine/flush-markers.ts';

// Shanghai is UTC+8: 2026-03-31T15:59:00Z is 23:59 on 31 March, 16:00Z is midnight of 1 April there.
const MARCH_31 = Date.parse('2026-03-30T16:00:00Z') / 1000;
const APRIL_1 = Date.parse('2026-03-31T16:00:00Z') / 1000;

const sum = (grain: MetricSumRow['grain'], bucket: number): MetricSumRow => ({
  grain,
  bucket,
  metric: 'contacts',
  business_unit: 'cards',
  product: 'p',
  channel: 'APP',
  numerator: 1,
  denominator: 0,
  flush: 't',
});

describe('flush markers', () => {
  const markers = () => new FlushMarkers(new Buckets('Asia/Shanghai'));
  const sums = [sum('minute', APRIL_1 - 60), sum('hour', APRIL_1 - 3600), sum('day', MARCH_31), sum('minute', APRIL_1), sum('day', APRIL_1)];

  it('marks each local day a flush touches once, in the columns of a sum', () => {
    const marked = markers().mark(sums, 'p/0/7/metric_sums');
    expect(marked.map((m) => m.bucket)).toEqual([MARCH_31, APRIL_1]);
    expect(marked[0]).toEqual({ grain: 'flush', bucket: MARCH_31, metric: 'flush', business_unit: 'p/0/7/metric_sums', product: '', channel: '', numerator: 1, denominator: 0, flush: 'p/0/7/metric_sums' });
    expect(Object.keys(marked[0]!)).toEqual(Object.keys(sums[0]!));
  });

  it('a redo keeps the sums of the days whose marker did not land', () => {
    expect(markers().unmarked(sums, new Set([MARCH_31]))).toEqual([sums[3], sums[4]]);
    expect(markers().unmarked(sums, new Set([MARCH_31, APRIL_1]))).toEqual([]);
    expect(markers().unmarked(sums, new Set())).toEqual(sums);
  });

  it('a done flush has its markers cancelled by the next insert, once', () => {
    const m = markers();
    const marked = m.mark(sums, 'tok');
    expect(m.takeCancels()).toEqual([]);
    m.done(marked);
    expect(m.takeCancels()).toEqual(marked.map((row) => ({ ...row, numerator: -1 })));
    expect(m.takeCancels()).toEqual([]);
  });
});
