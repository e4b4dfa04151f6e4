import type { Logger } from 'pino';
import type { KafkaSecurity } from './security.ts';

/** Which Kafka client library backs the interface. */
export type KafkaClientKind = 'kafkajs' | 'rdkafka';

export interface KafkaOptions {
  brokers: string[];
  clientId: string;
  client: KafkaClientKind;
  logger?: Logger;
  /** SASL and TLS (KAFKA_SASL_*, KAFKA_TLS*); absent = PLAINTEXT. */
  security?: KafkaSecurity;
}

export interface ProduceRecord {
  topic: string;
  key: string | null;
  value: Buffer;
}

/** Idempotent producer, acks=all, gzip (readable by both clients). */
export interface Producer {
  connect(): Promise<void>;
  /** Resolves only once the broker acknowledged every record (acks=all). */
  send(records: ProduceRecord[]): Promise<void>;
  disconnect(): Promise<void>;
}

export interface ConsumedMessage {
  topic: string;
  partition: number;
  /** Decimal string, as Kafka offsets exceed 2^53 in theory. */
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  /** Broker/producer timestamp, epoch ms. */
  timestamp: number;
}

/** Messages of one topic-partition, in offset order. */
export interface PartitionBatch {
  topic: string;
  partition: number;
  messages: ConsumedMessage[];
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface CommitOffset extends TopicPartition {
  /** The next offset to read (last processed + 1), decimal string. */
  offset: string;
}

export interface ConsumerOptions {
  groupId: string;
  topics: string[];
  /** Where a group with no committed offset starts. Default: earliest. */
  fromBeginning?: boolean;
  /** Upper bound of messages per fetch round (rdkafka consume(n); kafkajs is bounded by bytes). Default 5000. */
  maxBatchMessages?: number;
  /** Group session timeout. Default 30 s. */
  sessionTimeoutMs?: number;
  /**
   * Batches of different partitions handled at once (kafkajs; a partition's batches are always one
   * at a time). Default 1. More keeps a long batch of one partition from holding up the others.
   */
  partitionsConcurrently?: number;
}

export interface ConsumerHooks {
  /**
   * Called after every rebalance with the partitions this member now owns (the full current
   * assignment, not a delta). Hooks run one at a time, and before any batch of a newly assigned
   * partition is handed to `handle`. A throwing hook stops the consumer like a throwing handler.
   */
  onAssignment?(assigned: TopicPartition[]): void | Promise<void>;
  /**
   * Called once when the consumer stopped because of an error: `handle` or `onAssignment` threw,
   * or the client failed for good. The consumer has then stopped fetching and left the group;
   * the failed batch and everything not committed is re-read by the next owner. Restarting is the
   * caller's decision (`disconnect()`, then a new consumer). The error is logged either way.
   */
  onError?(error: Error): void;
}

/**
 * A consumer whose offsets move only when the caller commits them (no auto-commit),
 * so a sink can commit after its writes were acknowledged.
 */
export interface Consumer {
  connect(): Promise<void>;
  /**
   * Joins the group and starts the fetch loop; resolves once the member has its first assignment
   * (the loop keeps running in the background). `handle` runs for each batch, one at a time per
   * partition (see ConsumerOptions.partitionsConcurrently);
   * awaiting it is the back-pressure. If `handle` throws, the consumer stops (see `stopped()`).
   */
  run(handle: (batch: PartitionBatch) => Promise<void>, hooks?: ConsumerHooks): Promise<void>;
  /**
   * Commits exactly these offsets (next offset to read) and resolves once the group coordinator
   * stored them. Offsets of partitions this member no longer owns are dropped (the new owner
   * re-reads them). Rejects if the consumer has stopped.
   */
  commit(offsets: CommitOffset[]): Promise<void>;
  /** Stops fetching and leaves the group. Uncommitted work is re-read by the next owner. */
  disconnect(): Promise<void>;
  /**
   * Settles when the fetch loop has ended: resolves after `disconnect()`, rejects with the error
   * that stopped the consumer (see `ConsumerHooks.onError`).
   */
  stopped(): Promise<void>;
}

export interface TopicSpec {
  topic: string;
  partitions: number;
  /** Default 1 (the local single-node broker); set 3 on a real cluster. */
  replicationFactor?: number;
  /** e.g. { 'cleanup.policy': 'compact' } */
  config?: Record<string, string>;
}

export interface PartitionLag extends TopicPartition {
  committed: string | null;
  high: string;
  lag: number;
}

export interface Admin {
  connect(): Promise<void>;
  /** Creates missing topics; existing ones are left as they are. */
  ensureTopics(topics: TopicSpec[]): Promise<void>;
  /** Committed offset, high watermark and lag per partition of `topics` for `groupId`. */
  lag(groupId: string, topics: string[]): Promise<PartitionLag[]>;
  /** The offset the next message of one partition will get (its log end). */
  highWatermark(topic: string, partition: number): Promise<string>;
  disconnect(): Promise<void>;
}
