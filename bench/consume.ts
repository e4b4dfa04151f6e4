/**
 * Raw Kafka throughput (no processing): produces N small records (79-byte values, user-id keys)
 * into a fresh topic per client, then consumes them all with a fresh group, once per client.
 * A module that `bench/run.ts` calls, and still runnable on its own:
 *
 *   npx tsx bench/consume.ts [N=300000] [partitions=4]
 *   KAFKA_BROKERS=host:9092 BENCH_CLIENTS=rdkafka npx tsx bench/consume.ts
 *
 * Produce uses each client too (send() of 5000 records at a time, awaited), so both directions
 * are measured. The consume handler only counts; one commit per batch is included, as a real
 * sink would do it (BENCH_COMMIT=0 leaves it out). When both clients run, each consumes what the
 * other produced (gzip interop).
 */
import { pathToFileURL } from 'node:url';
import { createAdmin, createConsumer, createProducer, type KafkaClientKind, type KafkaOptions, type ProduceRecord } from '@cs/kafka';

export const VALUE_BYTES = 79;
const CHUNK = 5000;

export interface ConsumeBenchOptions {
  kafka: Omit<KafkaOptions, 'client'>;
  n: number;
  partitions: number;
  clients: KafkaClientKind[];
  /** One commit per consumed batch (default true). */
  commitEachBatch?: boolean;
  /** Progress lines (default: stderr). */
  progress?: (line: string) => void;
}

export interface ProduceResult {
  client: KafkaClientKind;
  ms: number;
  rate: number;
}

export interface ConsumeResult {
  client: KafkaClientKind;
  /** Topic read (produced by the other client when both run). */
  producedBy: KafkaClientKind;
  ms: number;
  rate: number;
  batches: number;
  joinMs: number;
  payloadMBps: number;
}

export interface ConsumeBenchResult {
  n: number;
  partitions: number;
  valueBytes: number;
  commitEachBatch: boolean;
  produce: ProduceResult[];
  consume: ConsumeResult[];
  /** Topics created (the caller may delete them). */
  topics: string[];
}

/** Event-like bytes: a fixed-ish header, a few varying fields, padding; gzip gets a realistic ratio. */
export function value(i: number): Buffer {
  const b = Buffer.alloc(VALUE_BYTES);
  b.write(`\u00c3\u0001evt-${i.toString(36).padStart(8, '0')}|BU${i % 7}|P${i % 420}|${1_760_000_000_000 + i * 37}|APP|`, 'latin1');
  for (let j = 56; j < VALUE_BYTES; j++) b[j] = (i * 31 + j * 7) & 0xff;
  return b;
}

export const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);

async function produceAll(kafka: ConsumeBenchOptions['kafka'], client: KafkaClientKind, topic: string, n: number): Promise<number> {
  const producer = createProducer({ ...kafka, client, clientId: `bench-producer-${client}` });
  await producer.connect();
  try {
    const t0 = performance.now();
    for (let i = 0; i < n; i += CHUNK) {
      const recs: ProduceRecord[] = [];
      for (let j = i; j < Math.min(n, i + CHUNK); j++) recs.push({ topic, key: `user-${j % 50_000}`, value: value(j) });
      await producer.send(recs);
    }
    return performance.now() - t0;
  } finally {
    await producer.disconnect();
  }
}

/**
 * Reads `n` messages of `topics` with a fresh group, counting only (one commit per batch unless
 * `commitEachBatch` is false). Timed from the moment the member was joined and assigned.
 */
export async function consumeAll(
  kafka: ConsumeBenchOptions['kafka'],
  client: KafkaClientKind,
  topics: string[],
  n: number,
  commitEachBatch: boolean,
  onProgress?: (count: number) => void,
): Promise<{ ms: number; batches: number; joinMs: number }> {
  const consumer = createConsumer({ ...kafka, client, clientId: `bench-consumer-${client}` }, { groupId: `bench-${client}-${Date.now()}`, topics });
  await consumer.connect();
  try {
    let count = 0;
    let batches = 0;
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const tJoin = performance.now();
    // Timed from the moment run() resolved (member joined and assigned) to the last message.
    await consumer.run(async (b) => {
      count += b.messages.length;
      batches++;
      onProgress?.(count);
      if (commitEachBatch) {
        const last = b.messages[b.messages.length - 1]!;
        await consumer.commit([{ topic: b.topic, partition: b.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
      }
      if (count >= n) done();
    });
    const t0 = performance.now();
    const joinMs = t0 - tJoin;
    await Promise.race([finished, consumer.stopped()]);
    if (count < n) throw new Error(`${client} consumer stopped after ${count} of ${n} messages`);
    return { ms: performance.now() - t0, batches, joinMs };
  } finally {
    await consumer.disconnect();
  }
}

export async function runConsumeBench(opts: ConsumeBenchOptions): Promise<ConsumeBenchResult> {
  const { kafka, n, partitions, clients } = opts;
  const commitEachBatch = opts.commitEachBatch ?? true;
  const progress = opts.progress ?? ((line: string) => process.stderr.write(`${line}\n`));
  const result: ConsumeBenchResult = { n, partitions, valueBytes: VALUE_BYTES, commitEachBatch, produce: [], consume: [], topics: [] };
  const admin = createAdmin({ ...kafka, client: 'kafkajs', clientId: 'cs-bench-admin' });
  await admin.connect();
  try {
    const stamp = Date.now();
    const topics = new Map<KafkaClientKind, string>();
    for (const client of clients) {
      const topic = `bench.consume.${client}.${stamp}`;
      topics.set(client, topic);
      result.topics.push(topic);
      await admin.ensureTopics([{ topic, partitions }]);
      const ms = await produceAll(kafka, client, topic, n);
      result.produce.push({ client, ms, rate: rate(n, ms) });
      progress(`  produce  ${client.padEnd(8)} ${rate(n, ms).toLocaleString('en-US').padStart(9)} msgs/s  (${(ms / 1000).toFixed(2)} s)`);
    }
    for (const client of clients) {
      const producedBy = clients.find((c) => c !== client) ?? client;
      const { ms, batches, joinMs } = await consumeAll(kafka, client, [topics.get(producedBy)!], n, commitEachBatch);
      const payloadMBps = (n * VALUE_BYTES) / ms / 1000;
      result.consume.push({ client, producedBy, ms, rate: rate(n, ms), batches, joinMs, payloadMBps });
      progress(
        `  consume  ${client.padEnd(8)} ${rate(n, ms).toLocaleString('en-US').padStart(9)} msgs/s  (${(ms / 1000).toFixed(2)} s, ${batches} batches, ` +
          `${payloadMBps.toFixed(1)} MB/s payload; join ${Math.round(joinMs)} ms)`,
      );
    }
  } finally {
    await admin.disconnect();
  }
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { loadKafkaConfig } = await import('@cs/kafka');
  const base = loadKafkaConfig(process.env, 'kafkajs', 'cs-bench');
  const n = Number(process.argv[2] ?? 300_000);
  const partitions = Number(process.argv[3] ?? 4);
  const commitEachBatch = process.env.BENCH_COMMIT !== '0';
  console.log(`brokers ${base.brokers.join(',')}, ${n} records of ${VALUE_BYTES} B, ${partitions} partitions, commit per batch: ${commitEachBatch}`);
  await runConsumeBench({
    kafka: { brokers: base.brokers, clientId: base.clientId },
    n,
    partitions,
    clients: (process.env.BENCH_CLIENTS ?? 'kafkajs,rdkafka').split(',') as KafkaClientKind[],
    commitEachBatch,
    progress: (line) => console.log(line.trimStart()),
  });
}
