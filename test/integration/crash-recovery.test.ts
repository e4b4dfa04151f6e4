/**
 * The processor is SIGKILLed mid-stream (twice, at different points) and restarted: the
 * `contacts` figures must still equal an independent count from the raw events — nothing lost,
 * nothing counted twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject, describe, expect, it } from 'vitest';
import { createProducer, type KafkaClientKind } from '@cs/kafka';
import { wrapProducer } from '@cs/producer';
import type { SessionEvent } from '@cs/schemas';
import { createTrafficGenerator } from '@cs/simulator';
import { endpointUrl, sqlRows, startChild, type Child } from '../support/child.ts';
import { createTopics, kafkaOptions, openTestStore, processorEnv, query, uniquePrefix, waitFor } from '../support/pipeline.ts';

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
    const endpointFile = join(dir, 'endpoint.json');
    const env = {
      ...processorEnv(prefix, TZ, { PROCESSOR_FLUSH_MAX_MESSAGES: '1500', PROCESSOR_FLUSH_INTERVAL: '150ms', PROCESSOR_SNAPSHOT_EVERY: '7' }),
      KAFKA_BROKERS: inject('kafkaBrokers').join(','),
      CS_DATA_DIR: join(dir, 'chdb'),
      CS_SQL_ENDPOINT_FILE: endpointFile,
      SQL_PORT: '0',
      PROCESSOR_HTTP_PORT: '0',
    };

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
      const [row] = await sqlRows<{ n: number }>(url, `SELECT sum(numerator) AS n FROM cs.metrics WHERE grain = 'day' AND metric = 'contacts'`);
      return Number(row?.n ?? 0);
    };

    let child: Child | undefined;
    const outputs: string[] = [];
    const run = async () => {
      if (child) outputs.push(child.output());
      rmSync(endpointFile, { force: true });
      child = startChild('services/processor/src/main.ts', { ...env, KAFKA_CLIENT: kafkaClient });
      await waitFor('the processor SQL endpoint', async () => endpointUrl(endpointFile) !== undefined, 60_000);
      return endpointUrl(endpointFile)!;
    };
    const kill = async () => {
      child!.proc.kill('SIGKILL');
      await child!.exited;
    };

    try {
      await send(0, Math.floor(events.length / 2));
      let url = await run();
      // First kill: as soon as some, but not all, of the first half is counted.
      await waitFor('first flushes', async () => (await contactsCounted(url)) > total * 0.1, 60_000, 20);
      await kill();
      url = await run();
      await send(Math.floor(events.length / 2), events.length);
      await waitFor('more flushes', async () => (await contactsCounted(url)) > total * 0.6, 60_000, 20);
      await kill();
      url = await run();
      await waitFor('every contact counted and closed', async () => {
        const [row] = await sqlRows<{ counted: number; closed: string }>(url, `SELECT (SELECT sum(numerator) FROM cs.metrics WHERE grain = 'day' AND metric = 'contacts') AS counted, (SELECT count() FROM cs.contacts) AS closed`);
        return Number(row?.counted) >= total && Number(row?.closed) >= total;
      }, 120_000);
      child!.proc.kill('SIGTERM');
      expect(await child!.exited).toBe(0);
      // The restarted processors resumed from state written before the kill, not from scratch.
      expect(outputs).toHaveLength(2);
      for (const out of outputs.slice(1).concat(child!.output())) {
        const restored = out.split('\n').filter((l) => l.includes('cs.sessions') && l.includes('partition restored'));
        // Either a completed flush was restored or an interrupted one is redone exactly.
        expect(restored.some((l) => /"seq":[1-9]|"redo":\{/.test(l)), restored.join('\n')).toBe(true);
      }
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- processor output ---\n${child?.output()}`);
    } finally {
      if (child && child.proc.exitCode === null) await kill();
      await sdk.close();
    }

    const store = await openTestStore(TZ, join(dir, 'chdb'));
    try {
      const rows = await query<{ day: string; business_unit: string; product: string; channel: string; value: number }>(
        store.client,
        `SELECT toString(toDate(bucket)) AS day, business_unit, product, channel, value FROM cs.metrics WHERE grain = 'day' AND metric = 'contacts'`,
      );
      const actual = new Map(rows.map((r) => [`${r.day}|${r.business_unit}|${r.product}|${r.channel}`, r.value]));
      expect(actual).toEqual(expected);
      const [contacts] = await query<{ rows: string; sessions: string }>(store.client, `SELECT count() AS rows, uniqExact(session_id) AS sessions FROM cs.contacts`);
      expect(Number(contacts!.rows)).toBe(total);
      expect(Number(contacts!.sessions)).toBe(total);
      const [dead] = await query<{ n: string }>(store.client, `SELECT count() AS n FROM cs.dead_letters FINAL`);
      expect(Number(dead!.n)).toBe(0);
    } finally {
      await store.client.close();
    }
  });
});
