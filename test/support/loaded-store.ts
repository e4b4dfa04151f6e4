/**
 * An embedded store loaded the way production loads it: a simulated day of all seven topics goes
 * through the real broker and the processor, and the test waits until every window is closed
 * (idle flush) and the figures are final. For tests of what reads ClickHouse: dashboards, analyst
 * queries.
 */
import { createAdmin } from '@cs/kafka';
import { TOPICS } from '@cs/schemas';
import { createTrafficGenerator } from '@cs/simulator';
import { produce } from '../correctness/run.ts';
import { createTopics, kafkaOptions, openTestStore, query, startTestProcessor, uniquePrefix, waitFor, type TestStore } from './pipeline.ts';

export interface LoadedStore extends TestStore {
  timeZone: string;
  /** First and last instant of the simulated traffic (epoch ms). */
  from: number;
  to: number;
  events: number;
}

export async function loadSimulatedDays(opts: { timeZone?: string; days?: number; contactsPerDay?: number; start?: number } = {}): Promise<LoadedStore> {
  const timeZone = opts.timeZone ?? 'Asia/Shanghai';
  const days = opts.days ?? 1;
  // Whole days ending at yesterday's local midnight, approximately (the simulator follows the zone).
  const from = opts.start ?? Math.floor(Date.now() / 86_400_000 - days - 1) * 86_400_000;
  const to = from + days * 86_400_000;
  const events = [...createTrafficGenerator({ seed: 11, start: from, end: to, contactsPerDay: opts.contactsPerDay ?? 8_000, timeZone, products: 20 })];
  const prefix = uniquePrefix('loaded');
  await createTopics(prefix, 2);
  await produce(prefix, events);
  const store = await openTestStore(timeZone);
  const processor = await startTestProcessor(store, prefix, timeZone, 'kafkajs');
  const admin = createAdmin(kafkaOptions());
  await admin.connect();
  try {
    const done = async () => Number((await query<{ n: string }>(store.client, `SELECT count() AS n FROM ${store.tables.processorLog} WHERE kind = 'done'`))[0]?.n ?? 0);
    let last = -1;
    await waitFor(
      'the processor to consume everything and close every window',
      async () => {
        const lag = (await admin.lag(`${prefix}processor`, TOPICS.map((t) => prefix + t))).reduce((s, p) => s + p.lag, 0);
        const now = await done();
        const quiet = lag === 0 && now === last;
        last = now;
        return quiet;
      },
      180_000,
      5000,
    );
  } finally {
    await admin.disconnect();
    await processor.stop();
  }
  return { ...store, timeZone, from, to, events: events.length };
}
