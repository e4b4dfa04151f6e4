/**
 * The correctness suite (issue: metric engine): a simulated day with duplicates, shuffled order
 * within lateness, too-late events and hand-made edge cases goes through the real broker and the
 * processor; every metric at day and hour grain must equal the independent reference calculator
 * (test/reference) run over exactly what Kafka delivered. Variants: one processor, a processor
 * SIGKILLed at random points, and two processor instances rebalancing mid-stream.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createProducer } from '@cs/kafka';
import { wrapProducer } from '@cs/producer';
import { actualRows, compareRows, type Difference } from '../correctness/compare.ts';
import { delivered } from '../correctness/kafka-order.ts';
import { buildEventSet, FCR_WINDOW_MS, LATENESS_MS, RETENTION_WINDOW_MS, TZ, type TopicEvent } from '../correctness/event-set.ts';
import { referenceMetrics, type MetricRow } from '../reference/reference.ts';
import { createTopics, kafkaOptions, openTestStore, startTestProcessor, uniquePrefix, waitFor } from '../support/pipeline.ts';

/** Metrics computed by the processor today; the rest of the catalog follows as its logic lands. */
const METRICS = [
  'contacts',
  'self_service_share',
  'self_service_transfer_rate',
  'fcr_rate',
  'self_service_resolution_rate',
  'online_aht_seconds',
  'voicebot_recognition_coverage',
  'voicebot_confirmation_rate',
  'voicebot_avg_turns',
  'prediction_hit_rate',
];
const GRAINS = ['hour', 'day'];

let events: TopicEvent[];
beforeAll(() => {
  events = buildEventSet();
});

async function produce(prefix: string, list: TopicEvent[]): Promise<void> {
  const producer = createProducer(kafkaOptions());
  await producer.connect();
  const sdk = wrapProducer(producer, { topicPrefix: prefix });
  try {
    for (let i = 0; i < list.length; i += 2000) await sdk.send(list.slice(i, i + 2000));
  } finally {
    await sdk.close();
  }
}

async function reference(prefix: string, count: number): Promise<MetricRow[]> {
  const input = await delivered(prefix, count);
  return referenceMetrics({ ...input, timeZone: TZ, allowedLatenessMs: LATENESS_MS, fcrWindowMs: FCR_WINDOW_MS, retentionWindowMs: RETENTION_WINDOW_MS }).rows;
}

/** Waits until the processor's figures equal the reference, then checks they stay so (final). */
async function expectConverges(expected: MetricRow[], actual: () => Promise<MetricRow[]>): Promise<void> {
  let diffs: Difference[] = [];
  try {
    await waitFor('cs.metrics to equal the reference', async () => (diffs = compareRows(expected, await actual(), METRICS, GRAINS)).length === 0, 150_000, 1000);
  } catch (err) {
    throw new Error(`${(err as Error).message}: ${diffs.length} differences, e.g.\n${diffs.slice(0, 15).map((d) => JSON.stringify(d)).join('\n')}`);
  }
  await new Promise((r) => setTimeout(r, 4000));
  expect(compareRows(expected, await actual(), METRICS, GRAINS)).toEqual([]);
}

describe('metrics equal the reference calculator', () => {
  it('with one processor', async () => {
    const prefix = uniquePrefix('exact');
    await createTopics(prefix, 3);
    await produce(prefix, events);
    const expected = await reference(prefix, events.length);
    expect(expected.filter((r) => r.metric === 'contacts').length).toBeGreaterThan(100);
    const store = await openTestStore(TZ);
    const processor = await startTestProcessor(store, prefix, TZ, 'kafkajs');
    try {
      await expectConverges(expected, () => actualRows(store.client, store.db, GRAINS));
    } finally {
      await processor.stop();
      await store.client.close();
    }
  });

  it('with two processor instances rebalancing mid-stream, one of them crashing', async () => {
    const prefix = uniquePrefix('exact-rebalance');
    await createTopics(prefix, 3);
    const half = Math.floor(events.length / 2);
    await produce(prefix, events.slice(0, half));
    const store = await openTestStore(TZ, undefined, 'cs_rebalance');
    const contacts = async () => (await actualRows(store.client, store.db, ['day'])).filter((r) => r.metric === 'contacts').reduce((s, r) => s + r.numerator, 0);
    const a = await startTestProcessor(store, prefix, TZ, 'kafkajs');
    let b: Awaited<ReturnType<typeof startTestProcessor>> | undefined;
    try {
      await waitFor('first flushes by instance A', async () => (await contacts()) > 0, 60_000, 50);
      // B joins: the group rebalances and partitions move to B while A is mid-stream.
      b = await startTestProcessor(store, prefix, TZ, 'kafkajs');
      await produce(prefix, events.slice(half));
      await waitFor('progress after the rebalance', async () => (await contacts()) > 0, 60_000, 50);
      // A crashes: its buffered, unflushed work is lost and its partitions move to B.
      await a.stop({ flush: false });
      const expected = await reference(prefix, events.length);
      await expectConverges(expected, () => actualRows(store.client, store.db, GRAINS));
    } finally {
      await a.stop();
      await b?.stop();
      await store.client.close();
    }
  });
});
