/**
 * @cs/kafka against a real broker, for both clients: produce/consume round trip, per-key order,
 * key → partition agreement between the clients, manual-commit semantics (resume after the
 * committed offset, re-read of uncommitted work), handler failure, and a two-member rebalance.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  ConsumerHandlerError,
  createAdmin,
  createConsumer,
  createProducer,
  type Admin,
  type ConsumedMessage,
  type Consumer,
  type KafkaClientKind,
  type KafkaOptions,
  type PartitionBatch,
  type ProduceRecord,
  type TopicPartition,
} from '@cs/kafka';

const CLIENTS: KafkaClientKind[] = ['kafkajs', 'rdkafka'];
const PARTITIONS = 3;
const TEST_TIMEOUT = 60_000;
/** How long to keep listening after the expected messages arrived, to catch extras (re-reads). */
const QUIET_MS = 1500;

const brokers = inject('kafkaBrokers');

const opts = (client: KafkaClientKind, clientId = `it-${client}`): KafkaOptions => ({ brokers, client, clientId });
const uid = () => randomUUID().slice(0, 8);

interface Payload {
  key: string;
  seq: number;
  by?: string;
}

function records(topic: string, keys: string[], perKey: number, from = 0, by?: string): ProduceRecord[] {
  const out: ProduceRecord[] = [];
  for (let seq = from; seq < from + perKey; seq++) {
    for (const key of keys) out.push({ topic, key, value: Buffer.from(JSON.stringify({ key, seq, by } satisfies Payload)) });
  }
  return out;
}

async function produce(client: KafkaClientKind, recs: ProduceRecord[], chunk = 250): Promise<void> {
  const producer = createProducer(opts(client, `it-producer-${client}`));
  await producer.connect();
  try {
    for (let i = 0; i < recs.length; i += chunk) await producer.send(recs.slice(i, i + chunk));
  } finally {
    await producer.disconnect();
  }
}

const parse = (m: ConsumedMessage) => JSON.parse(m.value!.toString('utf8')) as Payload;
const id = (m: ConsumedMessage) => `${m.topic}/${m.partition}/${m.offset}`;

interface Session {
  consumer: Consumer;
  messages: ConsumedMessage[];
  batches: PartitionBatch[];
  assignments: TopicPartition[][];
  errors: Error[];
}

/** Starts a consumer that records everything; `onBatch` may throw or commit. */
async function startConsumer(
  client: KafkaClientKind,
  groupId: string,
  topic: string,
  onBatch?: (b: PartitionBatch, s: Session) => Promise<void>,
): Promise<Session> {
  const consumer = createConsumer(opts(client, `it-consumer-${client}`), { groupId, topics: [topic] });
  const s: Session = { consumer, messages: [], batches: [], assignments: [], errors: [] };
  await consumer.connect();
  await consumer.run(
    async (b) => {
      if (onBatch) await onBatch(b, s);
      s.batches.push(b);
      s.messages.push(...b.messages);
    },
    { onAssignment: (a) => void s.assignments.push(a), onError: (e) => void s.errors.push(e) },
  );
  return s;
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits for `expected` messages, then listens QUIET_MS more so extra (duplicate) deliveries show. */
async function receive(s: Session, expected: number, what: string): Promise<void> {
  await waitFor(`${what}: ${expected} messages (got ${s.messages.length})`, () => s.messages.length >= expected || s.errors.length > 0);
  await new Promise((r) => setTimeout(r, QUIET_MS));
  expect(s.errors).toEqual([]);
}

/** Next offset to read per partition after the given messages. */
function nextOffsets(messages: ConsumedMessage[]): Map<number, bigint> {
  const out = new Map<number, bigint>();
  for (const m of messages) {
    const next = BigInt(m.offset) + 1n;
    if ((out.get(m.partition) ?? -1n) < next) out.set(m.partition, next);
  }
  return out;
}

async function newTopic(admin: Admin, label: string): Promise<string> {
  const topic = `it.kafka.${label}.${Date.now()}.${uid()}`;
  await admin.ensureTopics([{ topic, partitions: PARTITIONS }]);
  // Idempotent: a second call leaves the existing topic alone.
  await admin.ensureTopics([{ topic, partitions: PARTITIONS }]);
  return topic;
}

describe.each(CLIENTS)('@cs/kafka with %s', (client) => {
  let admin: Admin;
  const keys = Array.from({ length: 40 }, (_, i) => `user-${i}`);
  const PER_KEY = 15;
  const N = keys.length * PER_KEY;
  let topic: string;
  /** Messages in `topic` so far (tests run in order and some add messages). */
  let total = N;

  beforeAll(async () => {
    admin = createAdmin(opts(client));
    await admin.connect();
    topic = await newTopic(admin, client);
    await produce(client, records(topic, keys, PER_KEY));
  }, TEST_TIMEOUT);

  afterAll(async () => {
    await admin?.disconnect();
  });

  it('delivers every message exactly once to a fresh group, in per-key order, one partition per key', { timeout: TEST_TIMEOUT }, async () => {
    const s = await startConsumer(client, `g-all-${uid()}`, topic);
    try {
      await receive(s, N, 'all messages');
    } finally {
      await s.consumer.disconnect();
    }
    expect(s.messages).toHaveLength(N);
    expect(new Set(s.messages.map(id)).size).toBe(N);
    const got = s.messages.map(parse).map((p) => `${p.key}#${p.seq}`).sort();
    const want = records(topic, keys, PER_KEY).map((r) => `${r.key}#${(JSON.parse(r.value.toString()) as Payload).seq}`).sort();
    expect(got).toEqual(want);

    const seqByKey = new Map<string, number[]>();
    const partsByKey = new Map<string, Set<number>>();
    for (const m of s.messages) {
      const p = parse(m);
      expect(m.key?.toString()).toBe(p.key);
      expect(m.timestamp).toBeGreaterThan(Date.now() - 10 * 60_000);
      seqByKey.set(p.key, [...(seqByKey.get(p.key) ?? []), p.seq]);
      partsByKey.set(p.key, (partsByKey.get(p.key) ?? new Set()).add(m.partition));
    }
    for (const k of keys) {
      expect(seqByKey.get(k)).toEqual(Array.from({ length: PER_KEY }, (_, i) => i));
      expect(partsByKey.get(k)?.size).toBe(1);
    }
    // Batches are per partition and in offset order.
    for (const b of s.batches) {
      expect(b.messages.every((m) => m.partition === b.partition && m.topic === b.topic)).toBe(true);
      const offs = b.messages.map((m) => BigInt(m.offset));
      expect(offs.every((o, i) => i === 0 || o > offs[i - 1]!)).toBe(true);
    }
    // onAssignment saw the full assignment of the only member.
    expect(s.assignments.at(-1)).toEqual([0, 1, 2].map((partition) => ({ topic, partition })));
    expect(new Set(s.messages.map((m) => m.partition))).toEqual(new Set([0, 1, 2]));
  });

  it('resumes after the committed offset and re-reads what was not committed', { timeout: TEST_TIMEOUT }, async () => {
    const groupId = `g-commit-${uid()}`;

    // 1. Read everything, commit only about the first half of each partition.
    const a = await startConsumer(client, groupId, topic);
    await receive(a, N, 'first consumer');
    const byPartition = new Map<number, ConsumedMessage[]>();
    for (const m of a.messages) byPartition.set(m.partition, [...(byPartition.get(m.partition) ?? []), m]);
    const committed = new Map<number, bigint>();
    for (const [partition, msgs] of byPartition) {
      const half = msgs[Math.floor(msgs.length / 2)]!;
      committed.set(partition, BigInt(half.offset));
    }
    await a.consumer.commit([...committed].map(([partition, offset]) => ({ topic, partition, offset: offset.toString() })));
    await a.consumer.disconnect();
    await expect(a.consumer.stopped()).resolves.toBeUndefined();
    await expect(a.consumer.commit([{ topic, partition: 0, offset: '1' }])).rejects.toThrow(/stopped/);

    const lag1 = await admin.lag(groupId, [topic]);
    expect(lag1.map((l) => l.committed)).toEqual([0, 1, 2].map((p) => committed.get(p)!.toString()));
    const uncommitted = a.messages.filter((m) => BigInt(m.offset) >= committed.get(m.partition)!);
    expect(lag1.reduce((n, l) => n + l.lag, 0)).toBe(uncommitted.length);

    // 2. Next member of the group: exactly the uncommitted tail, nothing before it.
    const b = await startConsumer(client, groupId, topic);
    await receive(b, uncommitted.length, 'second consumer');
    expect(b.messages.map(id).sort()).toEqual(uncommitted.map(id).sort());
    await b.consumer.commit([...nextOffsets(b.messages)].map(([partition, offset]) => ({ topic, partition, offset: offset.toString() })));
    await b.consumer.disconnect();
    expect((await admin.lag(groupId, [topic])).every((l) => l.lag === 0)).toBe(true);

    // 3. New messages only: nothing re-read, nothing lost.
    const extra = records(topic, keys.slice(0, 10), 3, 1000);
    await produce(client, extra);
    total += extra.length;
    const c = await startConsumer(client, groupId, topic);
    try {
      await receive(c, extra.length, 'third consumer');
    } finally {
      await c.consumer.disconnect();
    }
    expect(c.messages.map(parse).map((p) => `${p.key}#${p.seq}`).sort()).toEqual(
      extra.map((r) => JSON.parse(r.value.toString()) as Payload).map((p) => `${p.key}#${p.seq}`).sort(),
    );
  });

  it('stops on a handler error without advancing; the next consumer re-reads the failed batch', { timeout: TEST_TIMEOUT }, async () => {
    const groupId = `g-fail-${uid()}`;
    let failed: PartitionBatch | undefined;
    const a = await startConsumer(client, groupId, topic, async (b) => {
      failed ??= b;
      throw new Error('sink down');
    });
    await expect(a.consumer.stopped()).rejects.toBeInstanceOf(ConsumerHandlerError);
    await expect(a.consumer.stopped()).rejects.toThrow(/sink down/);
    expect(a.errors).toHaveLength(1);
    expect(a.messages).toHaveLength(0);
    await expect(a.consumer.commit([{ topic, partition: 0, offset: '1' }])).rejects.toThrow(/stopped/);
    await a.consumer.disconnect();

    const b = await startConsumer(client, groupId, topic);
    try {
      await receive(b, total, 'consumer after the failure');
    } finally {
      await b.consumer.disconnect();
    }
    const ids = new Set(b.messages.map(id));
    expect(ids.size).toBe(total);
    expect(b.messages).toHaveLength(total);
    for (const m of failed!.messages) expect(ids.has(id(m))).toBe(true);
  });

  it('splits partitions between two members and hands them back when one leaves', { timeout: TEST_TIMEOUT }, async () => {
    const groupId = `g-rebalance-${uid()}`;
    const commitAll = async (b: PartitionBatch, s: Session) => {
      const last = b.messages.at(-1)!;
      await s.consumer.commit([{ topic: b.topic, partition: b.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
    };
    const x = await startConsumer(client, groupId, topic, commitAll);
    const y = await startConsumer(client, groupId, topic, commitAll);
    const owned = (s: Session) => s.assignments.at(-1) ?? [];
    await waitFor('both members assigned', () => owned(x).length > 0 && owned(y).length > 0 && owned(x).length + owned(y).length === PARTITIONS);
    const union = [...owned(x), ...owned(y)].map((tp) => tp.partition).sort();
    expect(union).toEqual([0, 1, 2]);

    await y.consumer.disconnect();
    await waitFor('survivor owns every partition', () => owned(x).length === PARTITIONS);
    expect(owned(x)).toEqual([0, 1, 2].map((partition) => ({ topic, partition })));
    // Everything was read at least once by the group (x may re-read what y handled but had not committed).
    await waitFor('group read everything', () => new Set([...x.messages, ...y.messages].map(id)).size === total);
    await x.consumer.disconnect();
    expect(x.errors).toEqual([]);
    expect(y.errors).toEqual([]);
    expect((await admin.lag(groupId, [topic])).every((l) => l.lag === 0)).toBe(true);
  });
});

describe('kafkajs and rdkafka together', () => {
  it('put the same key on the same partition and read each other\'s gzip batches', { timeout: TEST_TIMEOUT }, async () => {
    const admin = createAdmin(opts('kafkajs'));
    await admin.connect();
    const topic = await newTopic(admin, 'cross');
    await admin.disconnect();
    const keys = Array.from({ length: 60 }, (_, i) => `user-${uid()}-${i}`);
    await produce('kafkajs', records(topic, keys, 2, 0, 'kafkajs'));
    await produce('rdkafka', records(topic, keys, 2, 0, 'rdkafka'));
    const total = keys.length * 4;

    for (const client of CLIENTS) {
      const s = await startConsumer(client, `g-cross-${client}-${uid()}`, topic);
      try {
        await receive(s, total, `${client} reading both producers`);
      } finally {
        await s.consumer.disconnect();
      }
      expect(s.messages).toHaveLength(total);
      const partitionsByKey = new Map<string, Set<number>>();
      const producers = new Set<string>();
      for (const m of s.messages) {
        const p = parse(m);
        producers.add(p.by!);
        partitionsByKey.set(p.key, (partitionsByKey.get(p.key) ?? new Set()).add(m.partition));
      }
      expect(producers).toEqual(new Set(['kafkajs', 'rdkafka']));
      for (const k of keys) expect([...partitionsByKey.get(k)!], `partitions of ${k}`).toHaveLength(1);
      // The keys spread over every partition (murmur2, not a constant).
      expect(new Set([...partitionsByKey.values()].flatMap((ps) => [...ps])).size).toBe(PARTITIONS);
    }
  });
});
