import type { Consumer as KConsumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import type {
  CommitOffset,
  ConsumedMessage,
  Consumer,
  ConsumerHooks,
  ConsumerOptions,
  KafkaOptions,
  PartitionBatch,
} from '../types.ts';
import { ConsumerHandlerError, ConsumerState, ConsumerStoppedError, kafkaLogger, toError } from '../util.ts';
import { kafkajsClient } from './client.ts';

const HEARTBEAT_MS = 3000;

function toMessage(topic: string, partition: number, m: KafkaMessage): ConsumedMessage {
  return { topic, partition, offset: m.offset, key: m.key ?? null, value: m.value ?? null, timestamp: Number(m.timestamp) };
}

/**
 * kafkajs consumer with manual commits.
 *
 * - `autoCommit: false`, `eachBatchAutoResolve: false`: after `handle` returns, the batch's last
 *   offset is *resolved* (that moves kafkajs' fetch position; without it the same batch is fetched
 *   again) but nothing is committed: offsets reach the group only through `commit()`.
 * - One batch per partition at a time; `partitionsConcurrently` batches of different partitions
 *   at once (default 1). A timer heartbeats while a slow handler runs so the member is not evicted.
 * - A throwing handler: the batch is not resolved, the error is logged, the consumer leaves the
 *   group (disconnects) and the error is reported via `hooks.onError` and `stopped()`. kafkajs'
 *   own retry/restart of failed batches is bypassed on purpose.
 * - After a rebalance kafkajs restarts every assigned partition from its committed offset, so
 *   handled-but-uncommitted batches are handed out again (at-least-once).
 * - Client crashes that kafkajs retries itself (`restart: true`) are logged; a final crash stops
 *   the consumer with that error.
 */
export class KafkajsConsumer implements Consumer {
  private readonly consumer: KConsumer;
  private readonly log: Logger;
  private readonly state: ConsumerState;
  private disconnecting: Promise<void> | undefined;
  private running = false;

  constructor(
    opts: KafkaOptions,
    private readonly c: ConsumerOptions,
  ) {
    this.log = kafkaLogger(opts, 'consumer').child({ groupId: c.groupId });
    this.state = new ConsumerState(this.log);
    const sessionTimeout = c.sessionTimeoutMs ?? 30_000;
    this.consumer = kafkajsClient(opts, this.log).consumer({
      groupId: c.groupId,
      sessionTimeout,
      rebalanceTimeout: Math.max(60_000, sessionTimeout),
      heartbeatInterval: HEARTBEAT_MS,
      allowAutoTopicCreation: false,
      // Up to 512 KB per partition and 16 MB per fetch; the broker answers at once when data is
      // there and waits at most 200 ms when caught up. The bytes are compressed: 2 MB of gzipped
      // session events was ~89k messages per partition, decoded up front and held (with the batches
      // kafkajs fetched ahead for the other partitions) until handled: a third of the processor's
      // heap on a backlog. 512 KB is ~22k, about a flush.
      minBytes: 1,
      maxBytes: 16 * 1024 * 1024,
      maxBytesPerPartition: 512 * 1024,
      maxWaitTimeInMs: 200,
      retry: { retries: 8 },
    });
    const { GROUP_JOIN, CRASH } = this.consumer.events;
    this.consumer.on(GROUP_JOIN, ({ payload }) => {
      const assigned = Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) =>
        (partitions as number[]).map((partition) => ({ topic, partition })),
      );
      this.state.setAssignment(assigned, (e) => this.fail(e));
    });
    this.consumer.on(CRASH, ({ payload }) => {
      if (payload.restart) {
        this.log.warn({ err: payload.error }, 'kafkajs consumer crashed; kafkajs restarts it');
      } else if (!this.state.stopped) {
        this.fail(toError(payload.error));
      }
    });
  }

  async connect(): Promise<void> {
    await this.consumer.connect();
  }

  async run(handle: (batch: PartitionBatch) => Promise<void>, hooks: ConsumerHooks = {}): Promise<void> {
    if (this.running) throw new Error('consumer is already running');
    if (this.state.stopped) throw new ConsumerStoppedError('consumer has stopped; create a new one');
    this.running = true;
    this.state.hooks = hooks;
    await this.consumer.subscribe({ topics: this.c.topics, fromBeginning: this.c.fromBeginning ?? true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.c.partitionsConcurrently ?? 1,
      eachBatch: (payload) => this.onBatch(payload, handle),
    });
  }

  private async onBatch(p: EachBatchPayload, handle: (batch: PartitionBatch) => Promise<void>): Promise<void> {
    const { batch } = p;
    if (this.state.stopped || !p.isRunning() || p.isStale() || batch.messages.length === 0) return;
    await this.state.assignmentSettled();
    if (this.state.stopped || !p.isRunning() || p.isStale()) return;
    const { topic, partition } = batch;
    const messages = batch.messages.map((m) => toMessage(topic, partition, m));
    const beat = setInterval(() => {
      p.heartbeat().catch((e: unknown) => this.log.debug({ err: e }, 'heartbeat during a slow batch failed'));
    }, HEARTBEAT_MS);
    try {
      await handle({ topic, partition, messages });
    } catch (e) {
      this.fail(new ConsumerHandlerError(topic, partition, messages[0]!.offset, toError(e)));
      return;
    } finally {
      clearInterval(beat);
    }
    // Advance the fetch position (not the committed offset).
    p.resolveOffset(messages[messages.length - 1]!.offset);
  }

  private fail(error: Error): void {
    if (!this.state.stop(error)) return;
    // Not awaited: this may run inside eachBatch, and kafkajs' stop waits for eachBatch to return.
    void this.shutdown();
  }

  async commit(offsets: CommitOffset[]): Promise<void> {
    const owned = this.state.committable(offsets);
    if (owned.length === 0) return;
    await this.consumer.commitOffsets(owned.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })));
  }

  private shutdown(): Promise<void> {
    this.disconnecting ??= this.consumer.disconnect().catch((e: unknown) => {
      this.log.warn({ err: e }, 'kafkajs consumer disconnect failed');
    });
    return this.disconnecting;
  }

  async disconnect(): Promise<void> {
    this.state.stop();
    await this.shutdown();
  }

  stopped(): Promise<void> {
    return this.state.done.promise;
  }
}
