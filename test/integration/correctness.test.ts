/**
 * The correctness suite (issue: metric engine): a simulated day with duplicates, shuffled order
 * within lateness, too-late events and hand-made edge cases goes through the real broker and the
 * processor; every metric at day and hour grain must equal the independent reference calculator
 * (test/reference) run over exactly what Kafka delivered. Variants: one processor, a processor
 * SIGKILLed at random points, and two processor instances rebalancing mid-stream.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { actualRows } from '../correctness/compare.ts';
import { buildEventSet, TZ, type TopicEvent } from '../correctness/event-set.ts';
import { COMPARED_GRAINS, expectConverges, produce, reference } from '../correctness/run.ts';
import { createTopics, openTestStore, startTestProcessor, uniquePrefix, waitFor } from '../support/pipeline.ts';

let events: TopicEvent[];
beforeAll(() => {
  events = buildEventSet();
});

describe('metrics equal the reference calculator', () => {
  it('with one processor', async () => {
    const prefix = uniquePrefix('exact');
    await createTopics(prefix, 3);
    await produce(prefix, events);
    const expected = await reference(prefix, events.length);
    const store = await openTestStore(TZ);
    const processor = await startTestProcessor(store, prefix, TZ, 'kafkajs');
    try {
      await expectConverges(expected, () => actualRows(store.client, store.db, [...COMPARED_GRAINS]));
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
    // Small flushes keep the stream flowing across the rebalance; a long idle flush keeps the pause
    // between the two halves from closing windows on the wall clock (SPEC §4) before the rest comes.
    const env = { PROCESSOR_FLUSH_MAX_MESSAGES: '300', CS_IDLE_FLUSH: '15s' };
    const a = await startTestProcessor(store, prefix, TZ, 'kafkajs', env);
    let b: Awaited<ReturnType<typeof startTestProcessor>> | undefined;
    try {
      await waitFor('first flushes by instance A', async () => (await contacts()) > 0, 60_000, 50);
      // B joins: the group rebalances and partitions move to B while A is mid-stream.
      b = await startTestProcessor(store, prefix, TZ, 'kafkajs', env);
      const before = await contacts();
      await produce(prefix, events.slice(half));
      await waitFor('progress after the rebalance', async () => (await contacts()) > before, 60_000, 50);
      // A crashes: its buffered, unflushed work is lost and its partitions move to B.
      await a.stop({ flush: false });
      const expected = await reference(prefix, events.length);
      await expectConverges(expected, () => actualRows(store.client, store.db, [...COMPARED_GRAINS]));
    } finally {
      await a.stop();
      await b?.stop();
      await store.client.close();
    }
  });
});
