/**
 * The processor is SIGKILLed mid-stream (twice, at different points) and restarted: the
 * `contacts` figures must still equal an independent count from the raw events — nothing lost,
 * nothing counted twice.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createProducer, type KafkaClientKind } from '@cs/kafka';
import { wrapProducer } from '@cs/producer';
import type { SessionEvent } from '@cs/schemas';
import { createTrafficGenerator } from '@cs/simulator';
import { tablesIn } from '@cs/storage';
import { ChildProcessor, childProcessorEnv, sqlRows } from '../support/child.ts';
import { createTopics, kafkaOptions, query, uniquePrefix, waitFor, withTestStore } from '../support/pipeline.ts';

/** The tables of the processor's database (`cs`), qualified. */
const cs = tablesIn('cs');

const TZ = 'Asia/Shanghai';

/** The reference: contacts per (local day, business unit, product, channel), from STARTED events. */
function expectedContacts(events: SessionEvent[]): Map<string, number> {
  const day = new Intl.DateTimeFormat('sv-SE', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' });
  const seen = new Set<string>();
  const out = new Map<string, number>();
  for (const e of events) {
    if (e.type !== 'STARTED' || seen.has(e.event_id)) continue;
    seen.add(e.event_id);
    const key = `${day.format(e.event_time)}|${e.business_unit}|${e.product}|${e.channel}`;
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

describe.each<KafkaClientKind>(['kafkajs', 'rdkafka'])('crash recovery (%s)', (kafkaClient) => {
  it('keeps contacts exact when the processor is SIGKILLed mid-stream and restarted', async () => {
    const prefix = uniquePrefix(`crash-${kafkaClient}`);
    await createTopics(prefix, 3);
    const dir = mkdtempSync(join(tmpdir(), 'cs-crash-'));
    const processor = new ChildProcessor(
      childProcessorEnv(prefix, TZ, dir, { PROCESSOR_FLUSH_MAX_MESSAGES: '1500', PROCESSOR_FLUSH_INTERVAL: '150ms', PROCESSOR_SNAPSHOT_EVERY: '7', KAFKA_CLIENT: kafkaClient }),
    );

    const start = Date.parse('2026-03-01T14:00:00Z');
    const generator = createTrafficGenerator({ seed: 7, start, end: start + 4 * 3_600_000, contactsPerDay: 120_000, timeZone: TZ, duplicateRate: 0.01 });
    const events = [...generator].filter((x) => x.topic === 'cs.sessions').map((x) => x.event as SessionEvent);
    const expected = expectedContacts(events);
    const total = [...expected.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(5_000);

    const producer = createProducer(kafkaOptions());
    await producer.connect();
    const sdk = wrapProducer(producer, { topicPrefix: prefix });
    const send = async (from: number, to: number) => {
      for (let i = from; i < to; i += 2000) await sdk.send(events.slice(i, Math.min(to, i + 2000)).map((event) => ({ topic: 'cs.sessions' as const, event })));
    };
    const contactsCounted = async (url: string) => {
      const [row] = await sqlRows<{ n: number }>(url, `SELECT sum(numerator) AS n FROM ${cs.metrics} WHERE grain = 'day' AND metric = 'contacts'`);
      return Number(row?.n ?? 0);
    };

    try {
      await send(0, Math.floor(events.length / 2));
      let url = await processor.start();
      // First kill: as soon as some, but not all, of the first half is counted.
      await waitFor('first flushes', async () => (await contactsCounted(url)) > total * 0.1, 60_000, 20);
      await processor.kill();
      url = await processor.start();
      await send(Math.floor(events.length / 2), events.length);
      await waitFor('more flushes', async () => (await contactsCounted(url)) > total * 0.6, 60_000, 20);
      await processor.kill();
      url = await processor.start();
      await waitFor('every contact counted and closed', async () => {
        const [row] = await sqlRows<{ counted: number; closed: string }>(url, `SELECT (SELECT sum(numerator) FROM ${cs.metrics} WHERE grain = 'day' AND metric = 'contacts') AS counted, (SELECT count() FROM ${cs.contacts}) AS closed`);
        return Number(row?.counted) >= total && Number(row?.closed) >= total;
      }, 120_000);
      expect(await processor.stop()).toBe(0);
      // The restarted processors resumed from state written before the kill, not from scratch.
      expect(processor.earlierOutputs).toHaveLength(2);
      for (const out of processor.earlierOutputs.slice(1).concat(processor.child!.output())) {
        const restored = out.split('\n').filter((l) => l.includes('cs.sessions') && l.includes('partition restored'));
        // Either a completed flush was restored or an interrupted one is redone exactly.
        expect(restored.some((l) => /"seq":[1-9]|"redo":\{/.test(l)), restored.join('\n')).toBe(true);
      }
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- processor output ---\n${processor.child?.output()}`);
    } finally {
      await processor.kill();
      await sdk.close();
    }

    await withTestStore(TZ, processor.store, async (store) => {
      const rows = await query<{ day: string; business_unit: string; product: string; channel: string; value: number }>(
        store.client,
        `SELECT toString(toDate(bucket)) AS day, business_unit, product, channel, value FROM ${cs.metrics} WHERE grain = 'day' AND metric = 'contacts'`,
      );
      const actual = new Map(rows.map((r) => [`${r.day}|${r.business_unit}|${r.product}|${r.channel}`, r.value]));
      expect(actual).toEqual(expected);
      const [contacts] = await query<{ rows: string; sessions: string }>(store.client, `SELECT count() AS rows, uniqExact(session_id) AS sessions FROM ${cs.contacts}`);
      expect(Number(contacts!.rows)).toBe(total);
      expect(Number(contacts!.sessions)).toBe(total);
      const [dead] = await query<{ n: string }>(store.client, `SELECT count() AS n FROM ${cs.deadLetters} FINAL`);
      expect(Number(dead!.n)).toBe(0);
    });
  });

  it('stops cleanly when SIGTERMed while still starting', async () => {
    const prefix = uniquePrefix(`early-stop-${kafkaClient}`);
    await createTopics(prefix, 3);
    const dir = mkdtempSync(join(tmpdir(), 'cs-early-stop-'));
    const processor = new ChildProcessor(childProcessorEnv(prefix, TZ, dir, { KAFKA_CLIENT: kafkaClient }));
    try {
      // The SQL endpoint is up before the consumer has joined its group: the stop lands mid-start.
      await processor.start();
      const code = await processor.stop();
      const out = processor.child!.output();
      expect(code, out).toBe(0);
      expect(out).toMatch(/"step":"processor","msg":"stopped"/);
    } finally {
      await processor.kill();
    }
  });
});
