/**
 * Fault scenario 1b (docs/reliability.md): seeded random kills. A seed (FAULT_SEED, else a fixed one,
 * printed either way) draws six kills: failpoints in random windows of flushes a few ahead of where the
 * processor is (the mid-insert ones after a random table), and plain SIGKILLs a random number of
 * flushes and milliseconds in. The processor is restarted after each; the figures then equal the
 * reference. Negative control: the same seed with no-dedup (a schedule always holds a kill after a
 * metric-sum insert landed) must fail the check.
 */
import { describe, expect, it } from 'vitest';
import { crashRun, type FixedKill, type Kill } from './support/crash.ts';
import { cs, describe as explain, exact, type Reader } from './support/oracle.ts';
import { record } from './support/run.ts';

const SEED = Number(process.env.FAULT_SEED ?? 20_261_206);
const KILLS = 6;
/** Sessions flushes a partition gets with RANDOM_ENV: about 1,650 messages per partition, 100 per flush. */
const SESSION_FLUSHES = 16;
const RANDOM_ENV_FLUSH = '100';
const POINTS = ['after-intent', 'mid-insert', 'before-commit'] as const;
const TABLES = [null, 'raw_sessions', 'contacts_local', 'metric_sums', 'watermarks'] as const;

/** mulberry32: a small deterministic generator, so a seed replays the same schedule. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The kill schedule of a seed; each failpoint is placed relative to the flushes done when it is armed. */
function schedule(seed: number): Kill[] {
  const next = random(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
  const metricSumKill = Math.floor(next() * KILLS);
  return Array.from({ length: KILLS }, (_, i): Kill => {
    const external = i !== metricSumKill && next() < 0.35;
    if (external) return { afterFlushes: 1 + Math.floor(next() * 10), delayMs: Math.floor(next() * 150) };
    const point = i === metricSumKill ? 'mid-insert' : pick(POINTS);
    const table = i === metricSumKill ? 'metric_sums' : point === 'mid-insert' ? pick(TABLES) : null;
    const ahead = 1 + Math.floor(next() * 3);
    return async (read: Reader): Promise<FixedKill> => {
      const [row] = await read(`SELECT max(seq) AS seq FROM ${cs.processorLog} WHERE kind = 'done' AND endsWith(topic, 'cs.sessions')`);
      const seq = Number(row?.seq ?? 0) + ahead;
      // Past the backlog a failpoint might never be reached: kill from outside instead.
      if (seq > SESSION_FLUSHES - 2) return { afterFlushes: 1, delayMs: 0 };
      return { failpoint: `${point}:cs.sessions:${seq}${table ? `:${table}` : ''}` };
    };
  });
}

describe(`seeded random kills (seed ${SEED})`, () => {
  it('six kills at random points, restarted after each: figures exact', async () => {
    const run = await crashRun('random-kills', schedule(SEED), { env: { PROCESSOR_FLUSH_MAX_MESSAGES: RANDOM_ENV_FLUSH } });
    record({ scenario: `seeded random kills (seed ${SEED})`, kind: 'scenario', passed: exact(run.verdict), verdict: run.verdict, details: { seed: SEED, kills: run.fired } });
    expect(run.fired).toHaveLength(KILLS);
    expect(exact(run.verdict), explain(run.verdict)).toBe(true);
  });

  it('negative control: the same seed with no-dedup → counted twice', async () => {
    const run = await crashRun('random-kills-ctl', schedule(SEED), { defect: 'no-dedup', env: { PROCESSOR_FLUSH_MAX_MESSAGES: RANDOM_ENV_FLUSH } });
    record({ scenario: `seeded random kills control: no-dedup (seed ${SEED})`, kind: 'control', passed: !exact(run.verdict), verdict: run.verdict, details: { seed: SEED, kills: run.fired } });
    expect(exact(run.verdict), 'the check must catch the double count').toBe(false);
  });
});
