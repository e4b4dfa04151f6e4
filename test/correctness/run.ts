/** Shared steps of the correctness tests: produce the event set, compute the reference, converge. */
import { expect } from 'vitest';
import { PROCESSOR_METRICS, type MetricId } from '@cs/catalog';
import { createProducer } from '@cs/kafka';
import { wrapProducer } from '@cs/producer';
import { referenceMetrics, type MetricRow, type ReferenceOutput } from '../reference/reference.ts';
import { kafkaOptions, waitFor } from '../support/pipeline.ts';
import { compareRows, type Difference } from './compare.ts';
import { FCR_WINDOW_MS, LATENESS_MS, RETENTION_WINDOW_MS, TZ, type TopicEvent } from './event-set.ts';
import { delivered, type Delivered } from './kafka-order.ts';

/** Every metric of the catalog (SPEC §6). */
export const COMPARED_METRICS: readonly MetricId[] = PROCESSOR_METRICS.map((m) => m.id);
export const COMPARED_GRAINS: readonly string[] = ['hour', 'day'];

export async function produce(prefix: string, list: TopicEvent[]): Promise<void> {
  const producer = createProducer(kafkaOptions());
  await producer.connect();
  const sdk = wrapProducer(producer, { topicPrefix: prefix });
  try {
    for (let i = 0; i < list.length; i += 2000) await sdk.send(list.slice(i, i + 2000));
  } finally {
    await sdk.close();
  }
}

/** The reference over exactly what Kafka delivered. */
export async function reference(prefix: string, count: number): Promise<MetricRow[]> {
  return (await referenceRun(prefix, count)).output.rows;
}

/** The reference (final, or live: L1–L9) over exactly what Kafka delivered, with that input. */
export async function referenceRun(prefix: string, count: number, options: { live?: boolean } = {}): Promise<{ input: Delivered; output: ReferenceOutput }> {
  const input = await delivered(prefix, count);
  return { input, output: referenceOf(input, options) };
}

/** The reference over a delivered input, with the event set's zone and windows. */
export function referenceOf(input: Delivered, options: { live?: boolean } = {}): ReferenceOutput {
  return referenceMetrics({ ...input, timeZone: TZ, allowedLatenessMs: LATENESS_MS, fcrWindowMs: FCR_WINDOW_MS, retentionWindowMs: RETENTION_WINDOW_MS, live: options.live });
}

/** Waits until the processor's figures equal the reference, then checks they stay so (final). */
export async function expectConverges(expected: MetricRow[], actual: () => Promise<MetricRow[]>): Promise<void> {
  expect(expected.filter((r) => r.metric === 'contacts').length).toBeGreaterThan(100);
  // Not vacuous: the event set exercises every compared metric.
  for (const metric of COMPARED_METRICS) expect(expected.some((r) => r.metric === metric && r.denominator + r.numerator > 0), metric).toBe(true);
  let diffs: Difference[] = [];
  try {
    await waitFor('cs.metrics to equal the reference', async () => (diffs = compareRows(expected, await actual(), COMPARED_METRICS, COMPARED_GRAINS)).length === 0, 150_000, 1000);
  } catch (err) {
    throw new Error(`${(err as Error).message}: ${diffs.length} differences, e.g.\n${diffs.slice(0, 15).map((d) => JSON.stringify(d)).join('\n')}`);
  }
  await new Promise((r) => setTimeout(r, 4000));
  expect(compareRows(expected, await actual(), COMPARED_METRICS, COMPARED_GRAINS)).toEqual([]);
}
