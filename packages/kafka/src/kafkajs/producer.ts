import kafkajs from 'kafkajs';
import type { Message, Producer as KProducer, TopicMessages } from 'kafkajs';
import type { KafkaOptions, ProduceRecord, Producer } from '../types.ts';
import { kafkaLogger } from '../util.ts';
import { kafkajsClient } from './client.ts';

const { CompressionTypes, Partitioners } = kafkajs;

/**
 * kafkajs producer: idempotent (acks=all, retries unbounded), gzip, Java-compatible murmur2
 * partitioner (same partition for the same key as the rdkafka client with `murmur2_random`).
 *
 * kafkajs assigns idempotent sequence numbers per request and updates them on the response, so
 * two sends racing to one partition can be rejected as out of order: `send` calls are therefore
 * serialized, and each call is one `sendBatch` (one produce request per broker).
 */
export class KafkajsProducer implements Producer {
  private readonly producer: KProducer;
  private chain: Promise<void> = Promise.resolve();

  constructor(opts: KafkaOptions) {
    const log = kafkaLogger(opts, 'producer');
    this.producer = kafkajsClient(opts, log).producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      // Bounded (~1 min) so a send to an unreachable cluster fails instead of hanging; kafkajs'
      // default for idempotent producers is unbounded. Same order as rdkafka's message.timeout.ms.
      retry: { retries: 15, initialRetryTime: 100, maxRetryTime: 5000 },
    });
  }

  async connect(): Promise<void> {
    await this.producer.connect();
  }

  send(records: ProduceRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    const byTopic = new Map<string, Message[]>();
    for (const r of records) {
      let list = byTopic.get(r.topic);
      if (!list) byTopic.set(r.topic, (list = []));
      list.push({ key: r.key, value: r.value });
    }
    const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    const run = this.chain.then(async () => {
      await this.producer.sendBatch({ topicMessages, acks: -1, compression: CompressionTypes.GZIP });
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  async disconnect(): Promise<void> {
    await this.chain;
    await this.producer.disconnect();
  }
}
