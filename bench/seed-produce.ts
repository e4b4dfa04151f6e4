/**
 * Phase 1 of `npm run bench:seed`: the seed day produced to Kafka by the simulator itself, as a user
 * runs it (`npm run simulate -- --mode history …`, in its own process), into fresh prefixed topics.
 */
import type { Topic } from '@cs/schemas';
import { createBenchTopics, fmt, log, spawnWorker } from './support.ts';

export interface SeedDay {
  /** YYYY-MM-DD, local in `timeZone`. */
  start: string;
  timeZone: string;
  products: number;
  contactsPerDay: number;
  seed: number;
}

export interface Produced {
  prefix: string;
  /** The simulator's arguments after `npm run simulate --`. */
  argv: string[];
  events: number;
  /** Contacts started (STARTED events). */
  contacts: number;
  byTopic: Record<Topic, number>;
  /** The simulator's own generate-and-send time (after connecting). */
  produceMs: number;
  /** Spawn to exit of the simulator process. */
  wallMs: number;
}

export function simulatorArgs(day: SeedDay): string[] {
  return ['--mode', 'history', '--days', '1', '--start', day.start, '--tz', day.timeZone, '--products', String(day.products), '--contacts-per-day', String(day.contactsPerDay), '--seed', String(day.seed)];
}

/** Creates `prefix`'s event topics with `partitions` partitions each, then runs the simulator into them. */
export async function produceSeedDay(opts: { day: SeedDay; prefix: string; partitions: number; brokers: string[] }): Promise<Produced> {
  const { day, prefix, partitions, brokers } = opts;
  await createBenchTopics(brokers, partitions, prefix);
  const argv = simulatorArgs(day);
  let done: { events: number; contacts: number; byTopic: Record<Topic, number>; seconds: number } | undefined;
  let lastShown = 0;
  const sim = spawnWorker('services/simulator/src/main.ts', argv, {
    env: { ...process.env, KAFKA_BROKERS: brokers.join(','), CS_TOPIC_PREFIX: prefix, LOG_LEVEL: 'info' },
    onLine: (line, json) => {
      if (json?.msg === 'history done') done = json as unknown as typeof done;
      if (json) return Number(json.level) >= 40;
      // The simulator's status line comes every second: show one every 10 s.
      if (line.startsWith('[simulate]') && !line.endsWith('done') && performance.now() - lastShown < 10_000) return false;
      lastShown = performance.now();
      return true;
    },
  });
  const code = await sim.exited;
  const wallMs = performance.now() - sim.spawnedAt;
  if (code !== 0 || !done) throw new Error(`the simulator exited with ${code}${done ? '' : ' without its "history done" line'}`);
  log(`  produced ${fmt(done.events)} events (${fmt(done.contacts)} contacts) at ${fmt(done.events / done.seconds)} events/s (${done.seconds.toFixed(1)} s; ${(wallMs / 1000).toFixed(1)} s with start-up)`);
  return { prefix, argv, events: done.events, contacts: done.contacts, byTopic: done.byTopic, produceMs: done.seconds * 1000, wallMs };
}
