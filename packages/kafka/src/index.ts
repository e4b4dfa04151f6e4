/**
 * @cs/kafka — one small Kafka interface (types.ts) with two interchangeable implementations:
 * kafkajs (pure JS) and node-rdkafka (librdkafka; loaded only when used). Both produce
 * idempotently with acks=all and gzip, put a key on the same partition (murmur2), and consume
 * with manual commits only. Pick one with `KafkaOptions.client` / `KAFKA_CLIENT`.
 */
import { KafkajsAdmin } from './kafkajs/admin.ts';
import { KafkajsConsumer } from './kafkajs/consumer.ts';
import { KafkajsProducer } from './kafkajs/producer.ts';
import { RdkafkaAdmin } from './rdkafka/admin.ts';
import { RdkafkaConsumer } from './rdkafka/consumer.ts';
import { RdkafkaProducer } from './rdkafka/producer.ts';
import type { Admin, Consumer, ConsumerOptions, KafkaOptions, Producer } from './types.ts';

export * from './types.ts';
export { loadKafkaConfig, loadKafkaSecurity, KafkaConfigError, DEFAULT_BROKERS, KAFKA_CLIENTS } from './config.ts';
export { SASL_MECHANISMS, type KafkaSecurity, type KafkaSasl, type KafkaTls, type SaslMechanism } from './security.ts';
export { ConsumerHandlerError, ConsumerStoppedError } from './util.ts';

function unknownClient(client: never): never {
  throw new Error(`unknown Kafka client "${String(client)}" (use kafkajs or rdkafka)`);
}

export function createProducer(opts: KafkaOptions): Producer {
  switch (opts.client) {
    case 'kafkajs':
      return new KafkajsProducer(opts);
    case 'rdkafka':
      return new RdkafkaProducer(opts);
    default:
      return unknownClient(opts.client);
  }
}

export function createConsumer(opts: KafkaOptions, c: ConsumerOptions): Consumer {
  switch (opts.client) {
    case 'kafkajs':
      return new KafkajsConsumer(opts, c);
    case 'rdkafka':
      return new RdkafkaConsumer(opts, c);
    default:
      return unknownClient(opts.client);
  }
}

export function createAdmin(opts: KafkaOptions): Admin {
  switch (opts.client) {
    case 'kafkajs':
      return new KafkajsAdmin(opts);
    case 'rdkafka':
      return new RdkafkaAdmin(opts);
    default:
      return unknownClient(opts.client);
  }
}
