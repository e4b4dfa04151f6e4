/**
 * Fault scenario 5a (docs/reliability.md): bad input in the middle of the stream. Malformed bytes of
 * every kind — wrong magic (JSON, binary), an unknown fingerprint, another topic's fingerprint, an
 * unknown Confluent schema id, a truncated header, a truncated body, a null value, an empty value, two
 * oversize values of 600 KB in a row — and semantically invalid events (score out of range, negative
 * duration, empty id, STARTED without entry, event_time hours ahead) sit between the two halves of
 * the fault event set. Each must be dead-lettered exactly once (cs.dead_letters, and the dead-letter
 * topic) at its own position with the right reason; the good events around them equal the reference.
 *
 * Negative control: drop-empty (a message without a value is dropped instead of dead-lettered, the
 * defect issue 11 reported for cs.surveys) must make the check fail.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createProducer } from '@cs/kafka';
import { encodeEvent, fingerprintBytes, topicSchemas, type AnyEvent, type Topic } from '@cs/schemas';
import { TZ } from '../correctness/event-set.ts';
import { produce, referenceOf } from '../correctness/run.ts';
import { ChildProcessor, childProcessorEnv, sqlRows } from '../support/child.ts';
import { createTopics, kafkaOptions, uniquePrefix } from '../support/pipeline.ts';
import { CRASH_ENV } from './support/crash.ts';
import { cs, delivered, describe as explain, exact, faultEventSet, readToEnd, type Reader, type Verdict } from './support/oracle.ts';
import { converged, record, settledVerdict } from './support/run.ts';

interface Bad {
  topic: Topic;
  what: string;
  value: Buffer | null;
  reason: 'decode' | 'invalid' | 'future';
  detail: RegExp;
  /**
   * The event id its dead letter names: an event that decodes and passes the semantic checks (here
   * the one from the future). Bytes that do not decode, or decode into an event failing the checks,
   * are dead-lettered by position only.
   */
  eventId: string | null;
}

const T = Date.parse('2026-09-01T04:00:00Z');
const base = { event_time: T, business_unit: 'cards', product: 'credit-card' };
const survey = (id: string, extra: Record<string, unknown> = {}) => ({ ...base, event_id: id, type: 'RESPONDED', survey_id: `s-${id}`, contact_id: `c-${id}`, user_id: `u-${id}`, channel: 'APP', handled_by: 'HUMAN', score: 4, valid: true, ...extra });
const call = (id: string, extra: Record<string, unknown> = {}) => ({ ...base, event_id: id, type: 'ANSWERED', call_id: `call-${id}`, session_id: null, user_id: `u-${id}`, queue: 'general', agent_id: 'a1', site_type: 'IN_HOUSE', wait_ms: 1000, talk_ms: null, hold_ms: null, acw_ms: null, ...extra });
const session = (id: string, extra: Record<string, unknown> = {}) => ({ ...base, event_id: id, type: 'STARTED', session_id: `ses-${id}`, user_id: `u-${id}`, channel: 'APP', entry: 'SELF_SERVICE', intent: null, agent_id: null, ...extra });
const qa = (id: string, extra: Record<string, unknown> = {}) => ({ ...base, event_id: id, type: 'REVIEWED', review_id: `r-${id}`, contact_id: `c-${id}`, agent_id: 'a1', channel: 'APP', score: 80, passed: true, ...extra });

/** Avro single-object bytes of an event as the topic's schema types it, without the semantic checks a producer makes. */
function rawAvro(topic: Topic, event: object): Buffer {
  const latest = topicSchemas(topic).latest;
  return Buffer.concat([Buffer.from([0xc3, 0x01]), fingerprintBytes(latest.fingerprint), latest.type.toBuffer(event)]);
}

function badMessages(): Bad[] {
  const good = encodeEvent('cs.surveys', survey('bad-ok') as never);
  const sessionBytes = encodeEvent('cs.sessions', session('bad-other') as never);
  const oversize = () => Buffer.concat([good.subarray(0, 10), randomBytes(600 * 1024)]);
  const decode = (topic: Topic, what: string, value: Buffer | null, detail: RegExp): Bad => ({ topic, what, value, reason: 'decode', detail, eventId: null });
  const invalid = (topic: Topic, what: string, event: { event_id: string }, detail: RegExp): Bad => ({ topic, what, value: rawAvro(topic, event), reason: 'invalid', detail, eventId: null });
  return [
    decode('cs.surveys', 'wrong magic (JSON)', Buffer.from(JSON.stringify(survey('bad-json'))), /unknown magic byte 0x7b \(looks like JSON\)/),
    decode('cs.surveys', 'wrong magic (binary)', Buffer.from([0x42, 0x13, 0x37, 0x00]), /unknown magic byte 0x42/),
    decode('cs.sessions', 'unknown fingerprint', Buffer.concat([Buffer.from([0xc3, 0x01]), Buffer.from('deadbeefdeadbeef', 'hex'), sessionBytes.subarray(10)]), /unknown schema fingerprint deadbeefdeadbeef/),
    decode('cs.calls', "another topic's fingerprint", sessionBytes, /is cs\.sessions\/v1, not a cs\.calls schema/),
    decode('cs.surveys', 'unknown Confluent schema id', Buffer.concat([Buffer.from([0x00, 0x00, 0x00, 0x03, 0xe7]), good.subarray(10)]), /unknown schema id 999/),
    decode('cs.qa', 'truncated header', Buffer.from([0xc3, 0x01, 0x12, 0x34, 0x56]), /truncated single-object header/),
    decode('cs.surveys', 'truncated body', good.subarray(0, Math.floor(good.length / 2)), /body does not decode/),
    decode('cs.surveys', 'null value', null, /empty message/),
    decode('cs.surveys', 'empty value', Buffer.alloc(0), /empty message/),
    decode('cs.surveys', 'oversize value (600 KB)', oversize(), /body does not decode/),
    decode('cs.surveys', 'oversize value (600 KB), right after', oversize(), /body does not decode/),
    invalid('cs.surveys', 'score out of range', survey('bad-score', { score: 9 }), /score/),
    invalid('cs.calls', 'negative duration', call('bad-wait', { wait_ms: -5 }), /wait_ms/),
    invalid('cs.sessions', 'empty session id', session('bad-empty-id', { session_id: '' }), /session_id/),
    invalid('cs.sessions', 'STARTED without entry', session('bad-entry', { entry: null }), /entry/),
    invalid('cs.qa', 'QA score out of range', qa('bad-qa', { score: 150 }), /score/),
    { topic: 'cs.sessions', what: 'event_time 3 h ahead', value: rawAvro('cs.sessions', session('bad-future', { event_time: Date.now() + 3 * 3_600_000 })), reason: 'future', detail: /in the future/, eventId: 'bad-future' },
  ];
}

interface BadRun {
  verdict: Verdict;
  /** Per bad message: what it was and how the pipeline dead-lettered it (table rows, topic records). */
  letters: { what: string; rows: { reason: string; detail: string }[]; topicRecords: number }[];
}

async function badInputRun(name: string, defect?: string): Promise<BadRun> {
  const prefix = uniquePrefix(name);
  await createTopics(prefix, 3);
  const events = faultEventSet();
  const bad = badMessages();
  const half = Math.floor(events.length / 2);
  await produce(prefix, events.slice(0, half));
  const producer = createProducer(kafkaOptions());
  await producer.connect();
  try {
    for (const [i, b] of bad.entries()) await producer.send([{ topic: prefix + b.topic, key: `bad-${i}`, value: b.value as Buffer }]);
  } finally {
    await producer.disconnect();
  }
  await produce(prefix, events.slice(half));
  // Where each bad message landed (by its key), and the reference over the good events.
  const all = await readToEnd(
    [...new Set(bad.map((b) => prefix + b.topic))],
    kafkaOptions('kafkajs', 'bad-input-reader'),
  );
  const at = bad.map((_, i) => all.find((m) => m.key?.toString() === `bad-${i}`)!);
  const input = await delivered(prefix);
  // The one bad message that decodes (from the future) is not for the reference (its input I5: no future events).
  const badIds = new Set(bad.map((b) => b.eventId).filter((id) => id !== null));
  const good = { ...input, events: input.events.filter((e) => !badIds.has((e.event as AnyEvent).event_id)) };
  // The reference's dead letters (late, orphan), and the bad events that decode (they name their event).
  const reference = referenceOf(good);
  const expected = { input: good, reference: { ...reference, deadLetters: [...reference.deadLetters, ...bad.flatMap((b) => (b.eventId === null ? [] : [{ event_id: b.eventId, reason: b.reason }]))] } };

  const dir = mkdtempSync(join(tmpdir(), `cs-fault-${name}-`));
  const processor = new ChildProcessor(childProcessorEnv(prefix, TZ, dir, { ...CRASH_ENV, ...(defect ? { PROCESSOR_FAULT_DEFECT: defect } : {}) }));
  try {
    const url = await processor.start();
    const read: Reader = (sql) => sqlRows(url, sql);
    const verdict = defect ? await settledVerdict(expected, read, prefix) : await converged(expected, read, prefix);
    const rows = await read(`SELECT topic, partition, offset, reason, detail FROM ${cs.deadLetters} WHERE topic != '${prefix}cs.dead_letters'`);
    const dlq = (await readToEnd([`${prefix}cs.dead_letters`], kafkaOptions('kafkajs', 'bad-input-dlq'))).map((m) => JSON.parse(m.value!.toString()) as { topic: string; partition: number; offset: number });
    const letters = bad.map((b, i) => {
      const m = at[i]!;
      const here = (r: Record<string, unknown>) => r.topic === m.topic && Number(r.partition) === m.partition && Number(r.offset) === Number(m.offset);
      return { what: b.what, rows: rows.filter(here).map((r) => ({ reason: String(r.reason), detail: String(r.detail) })), topicRecords: dlq.filter(here).length };
    });
    expect(await processor.stop()).toBe(0);
    return { verdict, letters };
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- processor output ---\n${processor.child?.output().slice(-4000)}`);
  } finally {
    await processor.kill();
  }
}

/** Bad messages not dead-lettered exactly once with the right reason and detail. */
function wrongLetters(run: BadRun): string[] {
  const bad = badMessages();
  return run.letters.flatMap((l, i) => {
    const b = bad[i]!;
    const ok = l.rows.length === 1 && l.rows[0]!.reason === b.reason && b.detail.test(l.rows[0]!.detail) && l.topicRecords === 1;
    return ok ? [] : [`${l.what}: ${JSON.stringify(l.rows)} (${l.topicRecords} on the dead-letter topic)`];
  });
}

describe('bad input mid-stream', () => {
  it('every malformed or invalid message dead-lettered once with its reason; the good events exact', async () => {
    const run = await badInputRun('bad-input');
    const wrong = wrongLetters(run);
    record({ scenario: 'bad input: malformed bytes and invalid events mid-stream', kind: 'scenario', passed: exact(run.verdict) && wrong.length === 0, verdict: run.verdict, details: { badMessages: run.letters.length, wrong } });
    expect(wrong).toEqual([]);
    expect(exact(run.verdict), explain(run.verdict)).toBe(true);
  });

  it('negative control: drop-empty (a message without a value dropped) → the check reports it', async () => {
    const run = await badInputRun('bad-input-ctl', 'drop-empty');
    const wrong = wrongLetters(run);
    record({ scenario: 'bad input control: drop-empty', kind: 'control', passed: wrong.length > 0, verdict: run.verdict, details: { wrong } });
    expect(wrong).toEqual([expect.stringMatching(/^null value: \[\]/)]);
  });
});
