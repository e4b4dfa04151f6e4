/**
 * Session events through the real broker into the real embedded ClickHouse: exact cs.contacts
 * rows, exact `contacts` values at day grain in Asia/Shanghai, duplicates ignored, one malformed
 * message dead-lettered — with both Kafka clients.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { KafkaClientKind } from '@cs/kafka';
import { wrapProducer } from '@cs/producer';
import { createProducer } from '@cs/kafka';
import type { SessionEvent } from '@cs/schemas';
import { tablesIn } from '@cs/storage';
import { createTopics, kafkaOptions, openTestStore, produceRaw, query, startTestProcessor, uniquePrefix, waitFor, type TestStore } from '../support/pipeline.ts';

/** The tables of the processor's database (`cs`), qualified. */
const cs = tablesIn('cs');

const TZ = 'Asia/Shanghai';
const t = (iso: string) => Date.parse(iso);

let n = 0;
function ev(session: string, user: string, type: SessionEvent['type'], at: string, extra: Partial<SessionEvent> = {}): SessionEvent {
  return {
    event_id: `e${++n}`,
    event_time: t(at),
    business_unit: 'cards',
    product: 'credit-card',
    type,
    session_id: session,
    user_id: user,
    channel: 'APP',
    entry: type === 'STARTED' ? 'SELF_SERVICE' : null,
    intent: null,
    agent_id: null,
    ...extra,
  };
}

// Times are UTC; Asia/Shanghai is UTC+8, so 16:00Z is local midnight.
function scenario(): SessionEvent[] {
  n = 0;
  return [
    // s4: 1 March 18:00 local, human entry (sent first: six hours before s1 of the same user would be late).
    ev('s4', 'u1', 'STARTED', '2026-03-01T10:00:00Z', { entry: 'HUMAN' }),
    ev('s4', 'u1', 'ENDED', '2026-03-01T10:03:00Z'),
    // s1: starts 23:50 local on 1 March, ends after local midnight: a 1 March contact of 15 min.
    ev('s1', 'u1', 'STARTED', '2026-03-01T15:50:00Z'),
    ev('s1', 'u1', 'BOT_TURN', '2026-03-01T15:55:00Z'),
    ev('s1', 'u1', 'ENDED', '2026-03-01T16:05:00Z'),
    // s2: 2 March, web, transferred to an agent.
    ev('s2', 'u2', 'STARTED', '2026-03-01T16:10:00Z', { channel: 'WEB' }),
    ev('s2', 'u2', 'TRANSFERRED_TO_AGENT', '2026-03-01T16:12:00Z', { channel: 'WEB' }),
    ev('s2', 'u2', 'AGENT_JOINED', '2026-03-01T16:13:00Z', { channel: 'WEB', agent_id: 'a7' }),
    ev('s2', 'u2', 'ENDED', '2026-03-01T16:20:00Z', { channel: 'WEB' }),
    // s3: 2 March, voice bot, no ENDED: closed by inactivity (idle flush), end = last event.
    ev('s3', 'u3', 'STARTED', '2026-03-01T16:30:00Z', { channel: 'HOTLINE' }),
    ev('s3', 'u3', 'BOT_TURN', '2026-03-01T16:30:20Z', { channel: 'HOTLINE' }),
    ev('s3', 'u3', 'QUESTION_RECOGNIZED', '2026-03-01T16:30:40Z', { channel: 'HOTLINE' }),
    ev('s3', 'u3', 'BOT_TURN', '2026-03-01T16:31:00Z', { channel: 'HOTLINE' }),
  ];
}

describe.each<KafkaClientKind>(['kafkajs', 'rdkafka'])('sessions → cs.contacts and contacts metric (%s)', (kafkaClient) => {
  let store: TestStore;
  afterAll(async () => {
    await store?.client.close();
  });

  it('computes exact contacts, ignores duplicates and dead-letters one malformed message', async () => {
    const prefix = uniquePrefix(`contacts-${kafkaClient}`);
    await createTopics(prefix, 3);
    store = await openTestStore(TZ);
    const events = scenario();
    const producer = createProducer(kafkaOptions('kafkajs'));
    await producer.connect();
    const sdk = wrapProducer(producer, { topicPrefix: prefix });
    // Each event once, then two redeliveries (same event_id): s1's STARTED and s2's ENDED.
    await sdk.send(events.map((event) => ({ topic: 'cs.sessions' as const, event })));
    await sdk.send([events[2]!, events[8]!].map((event) => ({ topic: 'cs.sessions' as const, event })));
    await sdk.close();
    await produceRaw(`${prefix}cs.sessions`, 'u9', Buffer.from('definitely not avro'));

    const processor = await startTestProcessor(store, prefix, TZ, kafkaClient);
    try {
      await waitFor('4 closed contacts and 1 dead letter', async () => {
        const [row] = await query<{ c: string; d: string }>(store.client, `SELECT (SELECT countIf(final) FROM ${cs.contacts}) AS c, (SELECT count() FROM ${cs.deadLetters} FINAL) AS d`);
        return Number(row?.c) === 4 && Number(row?.d) === 1;
      });
    } catch (err) {
      const dump = await query(store.client, `SELECT (SELECT count() FROM ${cs.contactsLocal}) AS contacts, (SELECT count() FROM ${cs.rawSessions}) AS raw, (SELECT count() FROM ${cs.deadLetters}) AS dead, (SELECT count() FROM ${cs.processorLog}) AS log`);
      const state = await query(store.client, `SELECT partition, seq, kind, substring(state_delta, 1, 600) AS d FROM ${cs.processorLog} WHERE topic LIKE '%sessions' ORDER BY partition, seq DESC, kind LIMIT 4 BY partition`);
      throw new Error(`${(err as Error).message}\n${JSON.stringify(dump)}\n${JSON.stringify(state, null, 1)}`);
    } finally {
      await processor.stop();
    }

    const contacts = await query<Record<string, unknown>>(
      store.client,
      `SELECT session_id, user_id, channel, entry, toString(start_time) AS start, toString(end_time) AS end, ended_by,
              duration_seconds, self_service_entry, transferred, self_service, online, bot_turns, questions_recognized
       FROM ${cs.contacts} ORDER BY session_id`,
    );
    expect(contacts).toEqual([
      { session_id: 's1', user_id: 'u1', channel: 'APP', entry: 'SELF_SERVICE', start: '2026-03-01 23:50:00.000', end: '2026-03-02 00:05:00.000', ended_by: 'ENDED', duration_seconds: 900, self_service_entry: true, transferred: false, self_service: true, online: true, bot_turns: 1, questions_recognized: 0 },
      { session_id: 's2', user_id: 'u2', channel: 'WEB', entry: 'SELF_SERVICE', start: '2026-03-02 00:10:00.000', end: '2026-03-02 00:20:00.000', ended_by: 'ENDED', duration_seconds: 600, self_service_entry: true, transferred: true, self_service: false, online: true, bot_turns: 0, questions_recognized: 0 },
      { session_id: 's3', user_id: 'u3', channel: 'HOTLINE', entry: 'SELF_SERVICE', start: '2026-03-02 00:30:00.000', end: '2026-03-02 00:31:00.000', ended_by: 'inactivity', duration_seconds: 60, self_service_entry: true, transferred: false, self_service: true, online: false, bot_turns: 2, questions_recognized: 1 },
      { session_id: 's4', user_id: 'u1', channel: 'APP', entry: 'HUMAN', start: '2026-03-01 18:00:00.000', end: '2026-03-01 18:03:00.000', ended_by: 'ENDED', duration_seconds: 180, self_service_entry: false, transferred: false, self_service: false, online: true, bot_turns: 0, questions_recognized: 0 },
    ]);

    const [{ provisional } = { provisional: -1 }] = await query<{ provisional: number }>(store.client, `SELECT countIf(NOT final) AS provisional FROM ${cs.contacts}`);
    expect(provisional).toBe(0);

    const daily = await query<Record<string, unknown>>(
      store.client,
      `SELECT toString(bucket) AS day, channel, numerator, denominator, value FROM ${cs.metrics}
       WHERE grain = 'day' AND metric = 'contacts' ORDER BY day, channel`,
    );
    expect(daily).toEqual([
      { day: '2026-03-01 00:00:00', channel: 'APP', numerator: 2, denominator: 1, value: 2 },
      { day: '2026-03-02 00:00:00', channel: 'HOTLINE', numerator: 1, denominator: 1, value: 1 },
      { day: '2026-03-02 00:00:00', channel: 'WEB', numerator: 1, denominator: 1, value: 1 },
    ]);

    const dead = await query<Record<string, unknown>>(store.client, `SELECT topic, reason, payload FROM ${cs.deadLetters} FINAL`);
    expect(dead).toEqual([{ topic: `${prefix}cs.sessions`, reason: 'decode', payload: 'definitely not avro' }]);
  });
});
