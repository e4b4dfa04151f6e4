/**
 * Throughput probe (not a test): produces N small records (79-byte values, user-id keys) into a
 * fresh topic, then consumes them all with a fresh group, once per client, and prints msgs/s.
 *
 *   npx tsx packages/kafka/bench/consume.ts [N=300000] [partitions=4]
 *   KAFKA_BROKERS=host:9092 BENCH_CLIENTS=rdkafka npx tsx packages/kafka/bench/consume.ts
 *
 * Produce uses each client too (send() of 5000 records at a time, awaited), so both directions
 * are measured. The consume handler only counts; one commit per batch is included, as a real
 * sink would do it (set BENCH_COMMIT=0 to leave it out).
 */
import { createAdmin, createConsumer, createProducer, loadKafkaConfig, type KafkaClientKind, type ProduceRecord } from '../src/index.ts';

const N = Number(process.argv[2] ?? 300_000);
const PARTITIONS = Number(process.argv[3] ?? 4);
const VALUE_BYTES = 79;
const CHUNK = 5000;
const clients = (process.env.BENCH_CLIENTS ?? 'kafkajs,rdkafka').split(',') as KafkaClientKind[];
const commitEachBatch = process.env.BENCH_COMMIT !== '0';
const base = loadKafkaConfig(process.env, 'kafkajs', 'cs-bench');

function value(i: number): Buffer {
  // Event-like bytes: a fixed-ish header, a few varying fields, padding; gzip gets a realistic ratio.
  const b = Buffer.alloc(VALUE_BYTES);
  b.write(`\u00c3\u0001evt-${i.toString(36).padStart(8, '0')}|BU${i % 7}|P${i % 420}|${1_760_000_000_000 + i * 37}|APP|`, 'latin1');
  for (let j = 56; j < VALUE_BYTES; j++) b[j] = (i * 31 + j * 7) & 0xff;
  return b;
}

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);

async function produceAll(client: KafkaClientKind, topic: string, n: number): Promise<number> {
  const producer = createProducer({ ...base, client, clientId: `bench-producer-${client}` });
  await producer.connect();
  const t0 = performance.now();
  for (let i = 0; i < n; i += CHUNK) {
    const recs: ProduceRecord[] = [];
    for (let j = i; j < Math.min(n, i + CHUNK); j++) recs.push({ topic, key: `user-${j % 50_000}`, value: value(j) });
    await producer.send(recs);
  }
  const ms = performance.now() - t0;
  await producer.disconnect();
  return ms;
}

async function consumeAll(client: KafkaClientKind, topic: string, n: number): Promise<{ ms: number; batches: number; joinMs: number }> {
  const consumer = createConsumer({ ...base, client, clientId: `bench-consumer-${client}` }, { groupId: `bench-${client}-${Date.now()}`, topics: [topic] });
  await consumer.connect();
  let count = 0;
  let batches = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const tJoin = performance.now();
  // Timed from the moment run() resolved (member joined and assigned) to the last message.
  await consumer.run(async (b) => {
    count += b.messages.length;
    batches++;
    if (commitEachBatch) {
      const last = b.messages[b.messages.length - 1]!;
      await consumer.commit([{ topic: b.topic, partition: b.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
    }
    if (count >= n) done();
  });
  const t0 = performance.now();
  const joinMs = t0 - tJoin;
  await Promise.race([finished, consumer.stopped()]);
  const ms = performance.now() - t0;
  await consumer.disconnect();
  return { ms, batches, joinMs };
}

const admin = createAdmin({ ...base, clientId: 'cs-bench-admin' });
await admin.connect();
console.log(`brokers ${base.brokers.join(',')}, ${N} records of ${VALUE_BYTES} B, ${PARTITIONS} partitions, commit per batch: ${commitEachBatch}`);
const topics: Record<string, string> = {};
for (const client of clients) {
  const topic = `bench.consume.${client}.${Date.now()}`;
  topics[client] = topic;
  await admin.ensureTopics([{ topic, partitions: PARTITIONS }]);
  const ms = await produceAll(client, topic, N);
  console.log(`produce  ${client.padEnd(8)} ${rate(N, ms).toLocaleString('en-US').padStart(9)} msgs/s  (${(ms / 1000).toFixed(2)} s)`);
}
for (const client of clients) {
  // Each client reads what the other produced when both run (gzip interop), else its own topic.
  const topic = topics[clients.find((c) => c !== client) ?? client]!;
  const { ms, batches, joinMs } = await consumeAll(client, topic, N);
  console.log(
    `consume  ${client.padEnd(8)} ${rate(N, ms).toLocaleString('en-US').padStart(9)} msgs/s  (${(ms / 1000).toFixed(2)} s, ${batches} batches, ` +
      `${((N * VALUE_BYTES) / ms / 1000).toFixed(1)} MB/s payload; join ${Math.round(joinMs)} ms)`,
  );
}
await admin.disconnect();
