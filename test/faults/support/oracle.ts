/**
 * The fault suite's oracle: the independent reference calculator (test/reference) over exactly what
 * Kafka holds on the event topics once the fault is over (every acknowledged event is there, and
 * maybe some that were sent but not acknowledged), compared with what ClickHouse shows: every metric
 * at hour and day grain, the contacts, and the dead letters (event id and reason, each once).
 *
 * `judge` never asserts: it returns the differences, so a scenario asserts there are none and its
 * negative control (the same scenario with a deliberate defect) asserts there are some.
 */
import { createAdmin, createConsumer, type ConsumedMessage, type KafkaOptions } from '@cs/kafka';
import { decodeEvent, TOPICS, type AnyEvent, type Codec, type Topic } from '@cs/schemas';
import { tablesIn } from '@cs/storage';
import { compareRows, type Difference } from '../../correctness/compare.ts';
import { buildEventSet, type TopicEvent } from '../../correctness/event-set.ts';
import type { Delivered } from '../../correctness/kafka-order.ts';
import { COMPARED_GRAINS, COMPARED_METRICS, referenceOf } from '../../correctness/run.ts';
import type { MetricRow, ReferenceOutput } from '../../reference/reference.ts';
import { kafkaOptions, waitFor } from '../../support/pipeline.ts';

/** The processor's database in every fault scenario. */
export const cs = tablesIn('cs');

/** Runs SQL against the store a scenario's processors wrote (an endpoint or a client) and returns its rows. */
export type Reader = (sql: string) => Promise<Record<string, unknown>[]>;

/**
 * The correctness event set (duplicates, disorder within the lateness, too-late events, the hand-made
 * edge cases) at a size the fault suite can run many times: about 5,300 events on all seven topics.
 * Added by hand: QA reviews (the simulated day has none at this size), and orphans — session events
 * without a STARTED, calls without an OFFERED — so every run also has dead letters to account for.
 */
export function faultEventSet(): TopicEvent[] {
  const start = Date.parse('2026-09-01T01:00:00Z');
  const hour = 3_600_000;
  const extra: TopicEvent[] = [];
  for (let i = 0; i < 12; i++) {
    const t = start + i * hour;
    extra.push({ topic: 'cs.qa', event: { event_id: `fault-qa-${i}`, event_time: t, business_unit: 'cards', product: 'credit-card', type: 'REVIEWED', review_id: `fault-review-${i}`, contact_id: `fault-contact-${i}`, agent_id: `fault-agent-${i % 3}`, channel: 'HOTLINE', score: 60 + 3 * i, passed: i % 4 !== 0 } });
    extra.push({ topic: 'cs.sessions', event: { event_id: `fault-orphan-${i}`, event_time: t + 60_000, business_unit: 'cards', product: 'credit-card', type: 'BOT_TURN', session_id: `fault-orphan-session-${i}`, user_id: `fault-orphan-user-${i}`, channel: 'APP', entry: null, intent: null, agent_id: null } });
    extra.push({ topic: 'cs.calls', event: { event_id: `fault-orphan-call-${i}`, event_time: t + 120_000, business_unit: 'cards', product: 'credit-card', type: 'ANSWERED', call_id: `fault-orphan-call-${i}`, session_id: null, user_id: `fault-orphan-user-${i}`, queue: 'general', agent_id: 'fault-agent-0', site_type: 'IN_HOUSE', wait_ms: 5000, talk_ms: null, hold_ms: null, acw_ms: null } });
  }
  return buildEventSet(800, extra);
}

/** Kafka options for a broker that is not the suite's shared one (the broker scenarios' own). */
export function brokerOptions(brokers: string[] | undefined, clientId: string): KafkaOptions {
  return brokers ? { ...kafkaOptions('kafkajs', clientId), brokers } : kafkaOptions('kafkajs', clientId);
}

/** Every message on `topics` up to their current log end, read with a fresh group. */
export async function readToEnd(topics: string[], opts: KafkaOptions): Promise<ConsumedMessage[]> {
  const admin = createAdmin(opts);
  await admin.connect();
  const ends = new Map<string, number>();
  try {
    for (const p of await admin.lag(`reader-${Date.now()}`, topics)) ends.set(`${p.topic}/${p.partition}`, Number(p.high));
  } finally {
    await admin.disconnect();
  }
  const consumer = createConsumer(opts, { groupId: `reader-${Date.now()}-${Math.random()}`, topics, fromBeginning: true });
  const got: ConsumedMessage[] = [];
  const next = new Map<string, number>();
  await consumer.connect();
  try {
    await consumer.run(async (batch) => {
      got.push(...batch.messages);
      next.set(`${batch.topic}/${batch.partition}`, Number(batch.messages[batch.messages.length - 1]!.offset) + 1);
    });
    await waitFor(`every message of ${topics.join(', ')}`, async () => [...ends].every(([tp, end]) => (next.get(tp) ?? 0) >= end), 120_000, 200);
    return got.filter((m) => Number(m.offset) < ends.get(`${m.topic}/${m.partition}`)!);
  } finally {
    await consumer.disconnect();
  }
}

export interface DeliveredInput extends Delivered {
  /** Messages on the event topics that do not decode as an event (malformed bytes), by position. */
  undecodable: { topic: string; partition: number; offset: number }[];
}

/**
 * What Kafka delivered on the event topics of `prefix`, in partition order, decoded (with `codec`
 * when given, e.g. one that knows a test-only schema version): the reference's input.
 */
export async function delivered(prefix: string, opts: { kafka?: KafkaOptions; codec?: Codec } = {}): Promise<DeliveredInput> {
  const messages = await readToEnd(
    TOPICS.map((t) => prefix + t),
    opts.kafka ?? kafkaOptions('kafkajs', 'fault-oracle'),
  );
  messages.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition || Number(a.offset) - Number(b.offset)));
  const partitions = new Map<string, number>();
  const undecodable: DeliveredInput['undecodable'] = [];
  const events: Delivered['events'] = [];
  for (const m of messages) {
    const topic = m.topic.slice(prefix.length) as Topic;
    const decoded = m.value ? (opts.codec ? opts.codec.decode(topic, m.value) : decodeEvent(topic, m.value)) : null;
    if (!decoded?.ok) {
      undecodable.push({ topic: m.topic, partition: m.partition, offset: Number(m.offset) });
      continue;
    }
    if (m.key) partitions.set(`${topic}|${m.key.toString()}`, m.partition);
    events.push({ topic, event: JSON.parse(JSON.stringify(decoded.event)) as AnyEvent, arrival: events.length });
  }
  return {
    events,
    undecodable,
    partitionOf: (topic, key) => {
      const p = partitions.get(`${topic}|${key}`);
      if (p === undefined) throw new Error(`no partition seen for ${topic} key ${key}`);
      return p;
    },
  };
}

export interface Verdict {
  /** Events the reference read (what Kafka delivered). */
  events: number;
  /** (grain, bucket, metric, dimensions) figures compared, numerator and denominator each. */
  figures: number;
  differences: Difference[];
  contacts: { expected: number; actual: number };
  /** Dead letters of the event topics: expected count, and the (event id | reason) differences. */
  deadLetters: { expected: number; actual: number; missing: string[]; extra: string[] };
}

export function exact(v: Verdict): boolean {
  return v.differences.length === 0 && v.contacts.expected === v.contacts.actual && v.deadLetters.missing.length === 0 && v.deadLetters.extra.length === 0;
}

/** One line for a log or a failure message. */
export function describe(v: Verdict): string {
  const dl = v.deadLetters;
  const lines = [
    `${v.events} events, ${v.figures} figures compared: ${v.differences.length} differ; contacts ${v.contacts.actual}/${v.contacts.expected}; dead letters ${dl.actual}/${dl.expected} (${dl.missing.length} missing, ${dl.extra.length} extra)`,
    ...v.differences.slice(0, 6).map((d) => `  ${d.key}: expected ${JSON.stringify(d.expected)}, actual ${JSON.stringify(d.actual)}`),
    ...dl.missing.slice(0, 3).map((d) => `  dead letter missing: ${d}`),
    ...dl.extra.slice(0, 3).map((d) => `  dead letter extra: ${d}`),
  ];
  return lines.join('\n');
}

/** The store's metric rows at the compared grains, as reference rows. */
async function actualRows(read: Reader): Promise<MetricRow[]> {
  const rows = await read(
    `SELECT grain, toUnixTimestamp(bucket) * 1000 AS bucket, metric, business_unit, product, channel, numerator, denominator, value FROM ${cs.metrics} WHERE grain IN ('hour', 'day')`,
  );
  return rows.map((r) => ({ ...r, bucket: Number(r.bucket), numerator: Number(r.numerator), denominator: Number(r.denominator) }) as MetricRow);
}

/** Multiset difference of two lists of strings: what `a` has more of than `b`. */
function minus(a: string[], b: string[]): string[] {
  const left = new Map<string, number>();
  for (const x of b) left.set(x, (left.get(x) ?? 0) + 1);
  const out: string[] = [];
  for (const x of a) {
    const n = left.get(x) ?? 0;
    if (n > 0) left.set(x, n - 1);
    else out.push(x);
  }
  return out;
}

/** Compares the store with the reference over `input`. */
export async function judge(input: Delivered, read: Reader, reference: ReferenceOutput = referenceOf(input)): Promise<Verdict> {
  const actual = await actualRows(read);
  const differences = compareRows(reference.rows, actual, COMPARED_METRICS, COMPARED_GRAINS);
  const figures = new Set(reference.rows.filter((r) => COMPARED_GRAINS.includes(r.grain) && (r.numerator !== 0 || r.denominator !== 0)).map((r) => `${r.grain}|${r.bucket}|${r.metric}|${r.business_unit}|${r.product}|${r.channel}`)).size;
  const [contacts] = await read(`SELECT count() AS n FROM ${cs.contacts}`);
  const letters = await read(`SELECT event_id, reason FROM ${cs.deadLetters} FINAL WHERE event_id IS NOT NULL AND NOT endsWith(topic, 'cs.dead_letters')`);
  const expectedLetters = reference.deadLetters.map((d) => `${d.event_id}|${d.reason}`);
  const actualLetters = letters.map((d) => `${String(d.event_id)}|${String(d.reason)}`);
  return {
    events: input.events.length,
    figures,
    differences,
    contacts: { expected: reference.contacts.length, actual: Number(contacts?.n ?? 0) },
    deadLetters: { expected: expectedLetters.length, actual: actualLetters.length, missing: minus(expectedLetters, actualLetters), extra: minus(actualLetters, expectedLetters) },
  };
}

/** Reader over a ClickHouse HTTP endpoint (credentials in the URL). */
export function endpointReader(url: string, sqlRows: <T>(url: string, sql: string) => Promise<T[]>): Reader {
  return (sql) => sqlRows<Record<string, unknown>>(url, sql);
}

export type { TopicEvent, Difference, MetricRow };
export { COMPARED_GRAINS };
export const EVENT_TOPICS: readonly Topic[] = TOPICS;
export type Oracle = { input: DeliveredInput; reference: ReferenceOutput };

/** The reference over what Kafka holds now on `prefix`'s event topics. */
export async function oracle(prefix: string, opts: { kafka?: KafkaOptions; codec?: Codec } = {}): Promise<Oracle> {
  const input = await delivered(prefix, opts);
  return { input, reference: referenceOf(input) };
}
