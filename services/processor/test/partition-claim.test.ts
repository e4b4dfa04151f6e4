import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InsertCoalescer } from '@cs/clickhouse';
import type { ConsumedMessage } from '@cs/kafka';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { Buckets } from '../src/buckets.ts';
import type { Claim, FlushIntent, LogStore } from '../src/engine/log-store.ts';
import { PartitionTask } from '../src/engine/partition.ts';
import { closeStateEnv, openPartitionState } from '../src/engine/state-store.ts';
import { LOGIC } from '../src/logic/index.ts';
import { RULES } from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'cs-partition-claim-'));
afterAll(() => closeStateEnv(dir));

const TOPIC = 'cs.sessions';
// Empty values: each is dead-lettered with its offset, so the dead_letters rows show what a flush stepped.
const message = (offset: number): ConsumedMessage => ({ topic: TOPIC, partition: 0, offset: String(offset), key: null, value: null, timestamp: 0 });
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/**
 * A task over fakes of the log and the inserts whose claims wait until `releaseClaim()`; with
 * `slowLanding`, a claim resolves at once and its intent row lands at `land()` (an exclusive store).
 */
async function taskWithSlowClaims(slowLanding = false) {
  const intents: FlushIntent[] = [];
  const stepped: number[][] = [];
  let releaseClaim = () => {};
  let land = () => {};
  const log = {
    restore: async () => ({ pending: null, base: null, seq: 0, source: 'empty', deltas: 0 }),
    claim: (_p: unknown, intent: FlushIntent) =>
      new Promise<Claim>((resolve) => {
        intents.push(intent);
        if (!slowLanding) releaseClaim = () => resolve({ holder: intent, landed: Promise.resolve() });
        else resolve({ holder: intent, landed: new Promise<void>((landed) => (land = landed)) });
      }),
    writeDone: async () => {},
    landed: async () => new Set<string>(),
    writeSnapshot: async () => {},
  } as unknown as LogStore;
  const inserts = {
    rows: async (table: string, rows: { offset: number }[]) => {
      if (table.endsWith('.dead_letters')) stepped.push(rows.map((r) => r.offset));
    },
    tsv: async () => {},
  } as unknown as InsertCoalescer;
  const task = await PartitionTask.restore(
    { processor: 'test', topic: TOPIC, partition: 0 },
    {
      inserts,
      db: 'cs',
      log,
      logger: pino({ level: 'silent' }),
      rules: RULES,
      buckets: new Buckets('UTC'),
      logic: LOGIC['cs.sessions'],
      deadLetterProducer: null,
      deadLetterTopic: 'cs.dead_letters',
      snapshotEvery: 1_000,
      snapshotBaseEveryMs: 3_600_000,
      snapshotIdleAfterMs: 600_000,
      idleAdvanceStepMs: 3_600_000,
      idleAdvanceKeys: 100_000,
      topicPrefix: '',
      partitionsOf: () => 1,
      onDone: async () => {},
      markers: null,
    },
    await openPartitionState(dir, `claims-${Math.random()}`),
  );
  return { task, intents, stepped, releaseClaim: () => releaseClaim(), land: () => land() };
}

describe('a flush claims the messages it steps', () => {
  // The claim is a ClickHouse round trip (~100 ms under load) and the consumer keeps buffering
  // meanwhile. A flush that stepped those too would not be what its intent says: a redo from the
  // log steps [from, to) only, and the next flush would claim them again.
  it('steps exactly [from, to) of its intent; messages buffered during the claim wait for the next flush', async () => {
    const { task, intents, stepped, releaseClaim } = await taskWithSlowClaims();
    task.add(range(0, 5).map(message));
    const flushing = task.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(intents).toEqual([expect.objectContaining({ seq: 1, from: 0, to: 5 })]);
    task.add(range(5, 8).map(message));
    releaseClaim();
    await flushing;
    expect(task.nextOffset).toBe(5);
    expect(task.bufferedCount).toBe(3);

    const second = task.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(intents[1]).toEqual(expect.objectContaining({ seq: 2, from: 5, to: 8 }));
    releaseClaim();
    await second;
    await task.drain();
    expect(stepped).toEqual([range(0, 5), range(5, 8)]);
    expect(task.nextOffset).toBe(8);
    expect(task.bufferedCount).toBe(0);
  });

  // An exclusive store decides a claim in memory and writes its intent row alongside: the flush steps
  // meanwhile, but the intent must be in the log before any row of its flush (the write-ahead rule).
  it('steps before its intent row has landed, and inserts nothing of its flush until then', async () => {
    const { task, intents, stepped, land } = await taskWithSlowClaims(true);
    task.add(range(0, 4).map(message));
    await task.flush();
    expect(intents).toEqual([expect.objectContaining({ seq: 1, from: 0, to: 4 })]);
    expect(task.nextOffset).toBe(4);
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(stepped).toEqual([]);
    land();
    await task.drain();
    expect(stepped).toEqual([range(0, 4)]);
  });
});
