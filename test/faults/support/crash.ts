/**
 * A crash run: the fault event set as a backlog on fresh topics, the processor as a child process
 * that owns its embedded store, SIGKILLed at each given failpoint (PROCESSOR_FAILPOINT) or by the
 * test, restarted after each kill, then run to the end and judged against the reference.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TZ } from '../../correctness/event-set.ts';
import { produce } from '../../correctness/run.ts';
import { ChildProcessor, childProcessorEnv, firedFailpoint, sqlRows } from '../../support/child.ts';
import { createTopics, openTestStore, query, uniquePrefix, waitFor, type TestStore } from '../../support/pipeline.ts';
import { faultEventSet, oracle, type Reader, type Verdict } from './oracle.ts';
import { converged, doneFlushes, settledVerdict } from './run.ts';

/** One kill: at a failpoint (`<point>:<topic>:<seq>[:<table>]`), or by SIGKILL after `afterFlushes` more flushes (+ `delayMs`). */
export type FixedKill = { failpoint: string } | { afterFlushes: number; delayMs: number };
/** A kill, or one decided from the store as the last kill left it (e.g. a failpoint a few flushes ahead). */
export type Kill = FixedKill | ((read: Reader) => Promise<FixedKill>);

export interface CrashRun {
  verdict: Verdict;
  /** What each kill hit: the failpoint line the processor printed, or the flush count it was killed at. */
  fired: string[];
  /** The output of each processor process, in start order (the last one ran to the end). */
  outputs: string[];
  prefix: string;
}

/** Opens the store of a stopped child processor (the embedded one: no process holds it then). */
async function whileStopped<T>(processor: ChildProcessor, use: (store: TestStore) => Promise<T>): Promise<T> {
  const store = await openTestStore(TZ, await processor.ensureStore());
  try {
    return await use(store);
  } finally {
    await store.client.close();
  }
}

const readerOf = (store: TestStore): Reader => (sql) => query<Record<string, unknown>>(store.client, sql);

/** Small flushes and frequent snapshots: many flushes to crash in, restores from snapshots and log alike. */
export const CRASH_ENV = { PROCESSOR_FLUSH_MAX_MESSAGES: '200', PROCESSOR_FLUSH_INTERVAL: '100ms', PROCESSOR_SNAPSHOT_EVERY: '3' };

export interface CrashOptions {
  /** PROCESSOR_FAULT_DEFECT: a deliberate defect (a negative control). */
  defect?: string;
  /** More processor settings, over CRASH_ENV. */
  env?: Record<string, string>;
  /** Done to the store before the first start (e.g. a smaller deduplication window). */
  prepare?: (store: TestStore) => Promise<void>;
  /** Done to the store after the last kill, before the last start. */
  afterKills?: (store: TestStore) => Promise<void>;
}

export async function crashRun(name: string, kills: Kill[], opts: CrashOptions = {}): Promise<CrashRun> {
  const prefix = uniquePrefix(name);
  await createTopics(prefix, 3);
  await produce(prefix, faultEventSet());
  // Every event is acknowledged before the processor starts: the reference reads them all.
  const expected = await oracle(prefix);
  const dir = mkdtempSync(join(tmpdir(), `cs-fault-${name}-`));
  const processor = new ChildProcessor(childProcessorEnv(prefix, TZ, dir, { ...CRASH_ENV, ...opts.env, ...(opts.defect ? { PROCESSOR_FAULT_DEFECT: opts.defect } : {}) }));
  const fired: string[] = [];
  try {
    if (opts.prepare) await whileStopped(processor, opts.prepare);
    for (const planned of kills) {
      const kill = typeof planned === 'function' ? (processor.child ? await whileStopped(processor, (store) => planned(readerOf(store))) : await planned(async () => [])) : planned;
      if ('failpoint' in kill) {
        await processor.start({ PROCESSOR_FAILPOINT: kill.failpoint });
        fired.push(await firedFailpoint(processor.child!, `the processor (failpoint ${kill.failpoint})`, 150_000));
      } else {
        const url = await processor.start();
        const read: Reader = (sql) => sqlRows(url, sql);
        const target = (await doneFlushes(read)) + kill.afterFlushes;
        await waitFor(`${target} flushes`, async () => (await doneFlushes(read)) >= target, 120_000, 10);
        await new Promise((r) => setTimeout(r, kill.delayMs));
        await processor.kill();
        fired.push(`SIGKILL after ${target} flushes + ${kill.delayMs} ms`);
      }
    }
    if (opts.afterKills) await whileStopped(processor, opts.afterKills);
    const url = await processor.start({ PROCESSOR_FAILPOINT: '' });
    const read: Reader = (sql) => sqlRows(url, sql);
    const verdict = opts.defect ? await settledVerdict(expected, read, prefix) : await converged(expected, read, prefix);
    const code = await processor.stop();
    if (code !== 0) throw new Error(`the processor did not stop cleanly (${code}):\n${processor.child!.output().slice(-3000)}`);
    return { verdict, fired, prefix, outputs: [...processor.earlierOutputs, processor.child!.output()] };
  } catch (err) {
    throw new Error(`${(err as Error).message}\n(kills: ${fired.join('; ')})\n--- processor output ---\n${processor.child?.output().slice(-4000)}`);
  } finally {
    await processor.kill();
  }
}
