import type { Admin as KAdmin } from 'kafkajs';
import type { Admin, KafkaOptions, PartitionLag, TopicSpec } from '../types.ts';
import { kafkaLogger } from '../util.ts';
import { kafkajsClient } from './client.ts';
import { computeLag } from '../lag.ts';

export class KafkajsAdmin implements Admin {
  private readonly admin: KAdmin;

  constructor(opts: KafkaOptions) {
    this.admin = kafkajsClient(opts, kafkaLogger(opts, 'admin')).admin();
  }

  async connect(): Promise<void> {
    await this.admin.connect();
  }

  async ensureTopics(topics: TopicSpec[]): Promise<void> {
    const existing = new Set(await this.admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length === 0) return;
    // createTopics ignores TOPIC_ALREADY_EXISTS (a concurrent creator) and waits for leaders.
    await this.admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((t) => ({
        topic: t.topic,
        numPartitions: t.partitions,
        replicationFactor: t.replicationFactor ?? 1,
        configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
  }

  async lag(groupId: string, topics: string[]): Promise<PartitionLag[]> {
    const committed = await this.admin.fetchOffsets({ groupId, topics });
    const out: PartitionLag[] = [];
    for (const topic of topics) {
      const marks = await this.admin.fetchTopicOffsets(topic);
      const byPartition = new Map(committed.find((c) => c.topic === topic)?.partitions.map((p) => [p.partition, p.offset]));
      for (const m of marks) {
        out.push(computeLag(topic, m.partition, byPartition.get(m.partition) ?? '-1', m.low, m.high));
      }
    }
    return out.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  }

  async highWatermark(topic: string, partition: number): Promise<string> {
    const mark = (await this.admin.fetchTopicOffsets(topic)).find((m) => m.partition === partition);
    if (!mark) throw new Error(`no partition ${partition} in topic ${topic}`);
    return mark.high;
  }

  async disconnect(): Promise<void> {
    await this.admin.disconnect();
  }
}
