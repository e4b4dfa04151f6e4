/**
 * The correctness suite with the processor SIGKILLed at random points (its own process owns the
 * embedded store) and restarted: every metric at day and hour grain still equals the reference.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { tablesIn } from '@cs/storage';
import { actualRows, compareRows } from '../correctness/compare.ts';
import { buildEventSet, TZ } from '../correctness/event-set.ts';
import { COMPARED_GRAINS, COMPARED_METRICS, expectConverges, produce, reference } from '../correctness/run.ts';
import { ChildProcessor, childProcessorEnv, sqlRows } from '../support/child.ts';
import { createTopics, uniquePrefix, waitFor, withTestStore } from '../support/pipeline.ts';

/** The tables of the processor's database (`cs`), qualified. */
const cs = tablesIn('cs');

it('metrics equal the reference with the processor SIGKILLed at random points and restarted', async () => {
  const events = buildEventSet();
  const prefix = uniquePrefix('exact-kill');
  await createTopics(prefix, 3);
  const dir = mkdtempSync(join(tmpdir(), 'cs-kill-'));
  const processor = new ChildProcessor(childProcessorEnv(prefix, TZ, dir, { PROCESSOR_FLUSH_MAX_MESSAGES: '700', PROCESSOR_FLUSH_INTERVAL: '100ms', PROCESSOR_SNAPSHOT_EVERY: '5' }));
  const flushes = async (url: string) => Number((await sqlRows<{ n: string }>(url, `SELECT count() AS n FROM ${cs.processorLog} WHERE kind = 'done'`))[0]?.n ?? 0);

  const kills: number[] = [];
  try {
    await produce(prefix, events);
    let url = await processor.start();
    // Kill at random points: after a random number of further completed flushes each time.
    for (let k = 0; k < 3; k++) {
      const target = (await flushes(url)) + 2 + Math.floor(Math.random() * 12);
      await waitFor(`${target} flushes`, async () => (await flushes(url)) >= target, 60_000, 10);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 150)));
      await processor.kill();
      kills.push(target);
      url = await processor.start();
    }
    const expected = await reference(prefix, events.length);
    await expectConverges(expected, async () => (await sqlRows<Record<string, unknown>>(url, `SELECT grain, toUnixTimestamp(bucket) * 1000 AS bucket, metric, business_unit, product, channel, numerator, denominator, value FROM ${cs.metrics} WHERE grain IN ('hour', 'day')`)).map((r) => ({ ...r, bucket: Number(r.bucket) }) as never));
    expect(await processor.stop()).toBe(0);
    // Read once more from the store itself, after a clean stop.
    await withTestStore(TZ, processor.store, async (store) => {
      expect(compareRows(expected, await actualRows(store.client, store.db, [...COMPARED_GRAINS]), COMPARED_METRICS, COMPARED_GRAINS)).toEqual([]);
    });
    expect(kills).toHaveLength(3);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n(kills after flushes ${kills.join(', ')})\n--- processor output ---\n${processor.child?.output().slice(-4000)}`);
  } finally {
    await processor.kill();
  }
});
