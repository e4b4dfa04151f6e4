import type * as RdKafka from 'node-rdkafka';
import type { Logger } from 'pino';
import { computeLag } from '../lag.ts';
import type { Admin, KafkaOptions, PartitionLag, TopicSpec } from '../types.ts';
import { kafkaLogger, sleep } from '../util.ts';
import { asError, baseConfig, bridgeLogs, connectClient, disconnectClient, errorCodes, rdkafka } from './lib.ts';

const TIMEOUT_MS = 30_000;

/**
 * node-rdkafka admin. Its AdminClient only creates/deletes topics, so metadata and watermarks come
 * from a (never producing) Producer handle, and committed offsets from a KafkaConsumer with the
 * group's id that never subscribes (so it does not join the group).
 */
export class RdkafkaAdmin implements Admin {
  private readonly log: Logger;
  private admin: RdKafka.IAdminClient | undefined;
  private meta: RdKafka.Producer | undefined;

  constructor(private readonly opts: KafkaOptions) {
    this.log = kafkaLogger(opts, 'admin');
  }

  async connect(): Promise<void> {
    const Kafka = rdkafka();
    const conf = baseConfig(this.opts, this.log);
    const { event_cb: _e, ...adminConf } = conf;
    this.admin = Kafka.AdminClient.create(adminConf);
    this.meta = new Kafka.Producer(conf);
    bridgeLogs(this.meta, this.log);
    await connectClient(this.meta);
  }

  private metadata(topic?: string): Promise<RdKafka.Metadata> {
    const meta = this.connected().meta;
    return new Promise((resolve, reject) => {
      meta.getMetadata(topic ? { topic, timeout: TIMEOUT_MS } : { allTopics: true, timeout: TIMEOUT_MS }, (err, md) =>
        err ? reject(asError(err)) : resolve(md),
      );
    });
  }

  private connected(): { admin: RdKafka.IAdminClient; meta: RdKafka.Producer } {
    if (!this.admin || !this.meta) throw new Error('admin is not connected; call connect() first');
    return { admin: this.admin, meta: this.meta };
  }

  async ensureTopics(topics: TopicSpec[]): Promise<void> {
    const { admin } = this.connected();
    const existing = new Set((await this.metadata()).topics.map((t) => t.name));
    const missing = topics.filter((t) => !existing.has(t.topic));
    const EXISTS = errorCodes().ERR_TOPIC_ALREADY_EXISTS;
    for (const t of missing) {
      await new Promise<void>((resolve, reject) => {
        admin.createTopic(
          { topic: t.topic, num_partitions: t.partitions, replication_factor: t.replicationFactor ?? 1, config: t.config ?? {} },
          TIMEOUT_MS,
          (err) => (err && err.code !== EXISTS ? reject(asError(err)) : resolve()),
        );
      });
    }
    // Wait until every new partition has a leader, as kafkajs' waitForLeaders does.
    for (const t of missing) await this.waitForLeaders(t.topic, t.partitions);
  }

  private async waitForLeaders(topic: string, partitions: number): Promise<void> {
    const deadline = Date.now() + TIMEOUT_MS;
    for (;;) {
      const md = await this.metadata(topic).catch(() => undefined);
      const t = md?.topics.find((x) => x.name === topic);
      if (t && t.partitions.length >= partitions && t.partitions.every((p) => p.leader >= 0)) return;
      if (Date.now() > deadline) throw new Error(`topic ${topic}: partitions have no leader after ${TIMEOUT_MS} ms`);
      await sleep(100);
    }
  }

  async highWatermark(topic: string, partition: number): Promise<string> {
    const { meta } = this.connected();
    const marks = await new Promise<RdKafka.WatermarkOffsets>((resolve, reject) => {
      meta.queryWatermarkOffsets(topic, partition, TIMEOUT_MS, (err, w) => (err ? reject(asError(err)) : resolve(w)));
    });
    return String(marks.highOffset);
  }

  async lag(groupId: string, topics: string[]): Promise<PartitionLag[]> {
    const { meta } = this.connected();
    const tps: { topic: string; partition: number }[] = [];
    for (const topic of topics) {
      const t = (await this.metadata(topic)).topics.find((x) => x.name === topic);
      if (!t) throw new Error(`unknown topic ${topic}`);
      for (const p of t.partitions) tps.push({ topic, partition: p.id });
    }
    const Kafka = rdkafka();
    const reader = new Kafka.KafkaConsumer(
      { ...baseConfig(this.opts, this.log), 'group.id': groupId, 'enable.auto.commit': false },
      {},
    );
    bridgeLogs(reader, this.log);
    let committed: RdKafka.TopicPartitionOffset[];
    try {
      await connectClient(reader);
      committed = await new Promise((resolve, reject) => {
        reader.committed(tps, TIMEOUT_MS, (err, offsets) => (err ? reject(asError(err)) : resolve(offsets)));
      });
    } finally {
      await disconnectClient(reader);
    }
    const out: PartitionLag[] = [];
    for (const tp of tps) {
      const marks = await new Promise<RdKafka.WatermarkOffsets>((resolve, reject) => {
        meta.queryWatermarkOffsets(tp.topic, tp.partition, TIMEOUT_MS, (err, w) => (err ? reject(asError(err)) : resolve(w)));
      });
      // librdkafka reports "no committed offset" as -1001 (OFFSET_INVALID).
      const c = committed.find((x) => x.topic === tp.topic && x.partition === tp.partition)?.offset ?? -1;
      out.push(computeLag(tp.topic, tp.partition, c < 0 ? -1 : c, marks.lowOffset, marks.highOffset));
    }
    return out;
  }

  async disconnect(): Promise<void> {
    this.admin?.disconnect();
    if (this.meta) await disconnectClient(this.meta);
    this.admin = undefined;
    this.meta = undefined;
  }
}
