import type { ClickHouseClient } from '@clickhouse/client';
import { tablesIn } from '@cs/storage';
import type { MetricRow } from '../reference/reference.ts';

export interface Difference {
  key: string;
  expected: [number, number] | null;
  actual: [number, number] | null;
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

/** Metric rows of cs.metrics at the given grains, as reference-shaped rows. */
export async function actualRows(client: ClickHouseClient, db: string, grains: string[]): Promise<MetricRow[]> {
  const result = await client.query({
    query: `SELECT grain, toUnixTimestamp(bucket) * 1000 AS bucket, metric, business_unit, product, channel, numerator, denominator, value
            FROM ${tablesIn(db).metrics} WHERE grain IN {grains:Array(String)}`,
    query_params: { grains },
    format: 'JSONEachRow',
  });
  return (await result.json<MetricRow>()).map((r) => ({ ...r, bucket: Number(r.bucket) }));
}

/**
 * Every (grain, bucket, metric, dims) numerator and denominator must match; a row that is 0/0 on
 * one side may be absent on the other. Returns the differences (empty when equal).
 */
export function compareRows(expected: MetricRow[], actual: MetricRow[], metrics: readonly string[], grains: readonly string[]): Difference[] {
  const keyOf = (r: MetricRow) => `${r.grain}|${new Date(r.bucket).toISOString()}|${r.metric}|${r.business_unit}|${r.product}|${r.channel}`;
  const pick = (rows: MetricRow[]) => {
    const map = new Map<string, [number, number]>();
    for (const r of rows) {
      if (!metrics.includes(r.metric) || !grains.includes(r.grain) || (r.numerator === 0 && r.denominator === 0)) continue;
      map.set(keyOf(r), [r.numerator, r.denominator]);
    }
    return map;
  };
  const e = pick(expected);
  const a = pick(actual);
  const diffs: Difference[] = [];
  for (const key of new Set([...e.keys(), ...a.keys()])) {
    const x = e.get(key) ?? null;
    const y = a.get(key) ?? null;
    if (!x || !y || !close(x[0], y[0]) || !close(x[1], y[1])) diffs.push({ key, expected: x, actual: y });
  }
  return diffs.sort((p, q) => (p.key < q.key ? -1 : 1));
}
