import type { MetricSumRow } from '@cs/storage';
import { describe, expect, it } from 'vitest';
import { sumsToRedo } from '../src/engine/partition.ts';

const token = (table: string) => `cs-processor/cs.sessions/0/7/${table}`;
const row = (grain: MetricSumRow['grain']): MetricSumRow => ({ grain, bucket: 0, metric: 'contacts', business_unit: 'b', product: 'p', channel: 'APP', numerator: 1, denominator: 0, flush: token('metric_sums') });
const rows = [row('minute'), row('hour'), row('day')];

describe('sumsToRedo: the metric sums a redo still writes', () => {
  it('all of them when none landed', () => {
    expect(sumsToRedo(rows, new Set(), token)).toEqual(rows);
  });

  it('none once the flush token of metric_sums landed', () => {
    expect(sumsToRedo(rows, new Set([token('metric_sums')]), token)).toEqual([]);
  });

  it('for an intent logged before migration 0010: the grains whose per-grain table did not get them', () => {
    const landed = new Set([token('metric_sums_minute'), token('metric_sums_day')]);
    expect(sumsToRedo(rows, landed, token).map((r) => r.grain)).toEqual(['hour']);
  });

  it('another flush\'s tokens change nothing', () => {
    const other = (table: string) => `cs-processor/cs.sessions/0/6/${table}`;
    expect(sumsToRedo(rows, new Set([other('metric_sums'), other('metric_sums_hour')]), token)).toEqual(rows);
  });
});
