import type * as RdKafka from 'node-rdkafka';
import type { Logger } from 'pino';
import type {
  CommitOffset,
  ConsumedMessage,
  Consumer,
  ConsumerHooks,
  ConsumerOptions,
  KafkaOptions,
  PartitionBatch,
  TopicPartition,
} from '../types.ts';
import { ConsumerHandlerError, ConsumerState, ConsumerStoppedError, deferred, kafkaLogger, sleep, toError, tpKey } from '../util.ts';
import { asError, baseConfig, bridgeLogs, connectClient, disconnectClient, errorCodes, rdkafka } from './lib.ts';

/** consume(n) waits at most this long for the first message of a round. */
const CONSUME_TIMEOUT_MS = 100;

function toMessage(m: RdKafka.Message): ConsumedMessage {
  const key = m.key === undefined || m.key === null ? null : Buffer.isBuffer(m.key) ? m.key : Buffer.from(m.key);
  return { topic: m.topic, partition: m.partition, offset: String(m.offset), key, value: m.value, timestamp: m.timestamp ?? 0 };
}

/**
 * node-rdkafka consumer with manual commits.
 *
 * - `enable.auto.commit=false` and `enable.auto.offset.store=false`: offsets reach the group only
 *   through `commit()` (commitSync with explicit offsets; it blocks the event loop for one round
 *   trip to the coordinator, and unlike async commit + offset_commit_cb it needs no poll, so a
 *   handler may await `commit()` without deadlocking the consume loop).
 * - A loop of `consume(maxBatchMessages)` (timeout 100 ms) groups each round's messages by
 *   partition, in offset order, and hands them to `handle` one batch at a time.
 * - `partition.assignment.strategy=cooperative-sticky`: a rebalance only moves the partitions that
 *   change owner; the rebalance_cb calls incrementalAssign/incrementalUnassign (assign/unassign
 *   if the group ends up EAGER). node-rdkafka runs rebalance_cb on the JS thread some time after
 *   librdkafka raised it; librdkafka waits for the (un)assign call, so this is safe. Messages of a
 *   partition revoked while its batch was in flight are dropped from the rest of the round (the
 *   new owner re-reads them from the committed offset).
 * - A throwing handler: the loop stops, nothing more is handled or committed, the consumer leaves
 *   the group (close), and the error goes to `hooks.onError` and `stopped()`.
 */
export class RdkafkaConsumer implements Consumer {
  private readonly consumer: RdKafka.KafkaConsumer;
  private readonly log: Logger;
  private readonly state: ConsumerState;
  private readonly firstAssignment = deferred<void>();
  private readonly maxBatch: number;
  private loopDone: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private running = false;
  /** Partitions owned according to the rebalance callbacks (the incremental deltas applied). */
  private owned = new Map<string, TopicPartition>();

  constructor(
    opts: KafkaOptions,
    private readonly c: ConsumerOptions,
  ) {
    this.log = kafkaLogger(opts, 'consumer').child({ groupId: c.groupId });
    this.state = new ConsumerState(this.log);
    this.maxBatch = c.maxBatchMessages ?? 5000;
    const Kafka = rdkafka();
    this.consumer = new Kafka.KafkaConsumer(
      {
        ...baseConfig(opts, this.log),
        'group.id': c.groupId,
        'enable.auto.commit': false,
        'enable.auto.offset.store': false,
        'partition.assignment.strategy': 'cooperative-sticky',
        'session.timeout.ms': c.sessionTimeoutMs ?? 30_000,
        'heartbeat.interval.ms': 3000,
        'max.poll.interval.ms': 300_000,
        // Throughput for small records: large prefetch queue, up to 2 MB per partition per fetch,
        // answer at once when data is there, wait at most 100 ms when caught up.
        'fetch.min.bytes': 1,
        'fetch.wait.max.ms': 100,
        'max.partition.fetch.bytes': 2 * 1024 * 1024,
        'fetch.max.bytes': 52_428_800,
        'queued.min.messages': 200_000,
        'queued.max.messages.kbytes': 131_072,
        'enable.partition.eof': false,
        rebalance_cb: (err: RdKafka.LibrdKafkaError | undefined, assignment: TopicPartition[]) => this.onRebalance(err, assignment),
      },
      { 'auto.offset.reset': (c.fromBeginning ?? true) ? 'earliest' : 'latest' },
    );
    this.consumer.setDefaultConsumeTimeout(CONSUME_TIMEOUT_MS);
    bridgeLogs(this.consumer, this.log);
    this.consumer.on('event.error', (err) => {
      if (err.isFatal) this.fail(asError(err));
    });
  }

  private onRebalance(err: RdKafka.LibrdKafkaError | undefined, assignment: TopicPartition[]): void {
    const codes = errorCodes();
    const parts = assignment.map((tp) => ({ topic: tp.topic, partition: tp.partition }));
    let cooperative = false;
    try {
      cooperative = this.consumer.rebalanceProtocol() === 'COOPERATIVE';
      if (err?.code === codes.ERR__ASSIGN_PARTITIONS) {
        if (cooperative) this.consumer.incrementalAssign(parts);
        else this.consumer.assign(parts);
      } else if (err?.code === codes.ERR__REVOKE_PARTITIONS) {
        if (cooperative) this.consumer.incrementalUnassign(parts);
        else this.consumer.unassign();
      } else {
        this.log.error({ err }, 'rebalance error');
        this.consumer.unassign();
      }
    } catch (e) {
      // (Un)assign fails once the consumer is closing; anything else is worth a log line.
      if (this.consumer.isConnected() && !this.state.stopped) this.log.warn({ err: e }, 'rebalance (un)assign failed');
    }
    if (err?.code === codes.ERR__ASSIGN_PARTITIONS) {
      if (!cooperative) this.owned.clear();
      for (const tp of parts) this.owned.set(tpKey(tp.topic, tp.partition), tp);
      // After every rebalance librdkafka ends with an ASSIGN callback (possibly empty in
      // cooperative mode), so the hook sees each rebalance's final assignment exactly once.
      this.state.setAssignment([...this.owned.values()], (e) => this.fail(e));
      this.firstAssignment.resolve();
    } else {
      if (cooperative && err?.code === codes.ERR__REVOKE_PARTITIONS) {
        for (const tp of parts) this.owned.delete(tpKey(tp.topic, tp.partition));
      } else {
        this.owned.clear();
      }
      // Ownership drops at once (in-flight batches of revoked partitions are skipped, their
      // commits dropped); the hook runs after the ASSIGN that completes the rebalance.
      this.state.setOwnedOnly([...this.owned.values()]);
    }
  }

  async connect(): Promise<void> {
    await connectClient(this.consumer);
  }

  async run(handle: (batch: PartitionBatch) => Promise<void>, hooks: ConsumerHooks = {}): Promise<void> {
    if (this.running) throw new Error('consumer is already running');
    if (this.state.stopped) throw new ConsumerStoppedError('consumer has stopped; create a new one');
    this.running = true;
    this.state.hooks = hooks;
    this.consumer.subscribe(this.c.topics);
    this.loopDone = this.loop(handle);
    // Like kafkajs' run(): return once the member joined the group and got its (first)
    // assignment, or after 30 s (then with a warning; the loop keeps trying in the background).
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.log.warn('no partition assignment after 30 s; still waiting in the background');
        resolve();
      }, 30_000);
    });
    try {
      await Promise.race([this.firstAssignment.promise, this.state.done.promise.catch(() => undefined), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private consumeRound(): Promise<RdKafka.Message[]> {
    return new Promise((resolve, reject) => {
      this.consumer.consume(this.maxBatch, (err, messages) => (err ? reject(asError(err)) : resolve(messages)));
    });
  }

  private async loop(handle: (batch: PartitionBatch) => Promise<void>): Promise<void> {
    while (!this.state.stopped) {
      let messages: RdKafka.Message[];
      try {
        messages = await this.consumeRound();
      } catch (e) {
        if (this.state.stopped) break;
        const err = e as Error & { isFatal?: boolean };
        if (err.isFatal) {
          this.fail(err);
          break;
        }
        this.log.warn({ err }, 'consume failed; retrying');
        await sleep(200);
        continue;
      }
      if (messages.length === 0 || this.state.stopped) continue;
      await this.state.assignmentSettled();
      // Group by partition, keeping offset order within each and first-seen order across them.
      const batches = new Map<string, PartitionBatch>();
      for (const m of messages) {
        const k = tpKey(m.topic, m.partition);
        let b = batches.get(k);
        if (!b) batches.set(k, (b = { topic: m.topic, partition: m.partition, messages: [] }));
        b.messages.push(toMessage(m));
      }
      for (const batch of batches.values()) {
        if (this.state.stopped) break;
        if (!this.state.owns(batch.topic, batch.partition)) {
          this.log.debug({ topic: batch.topic, partition: batch.partition }, 'skipping messages of a revoked partition');
          continue;
        }
        try {
          await handle(batch);
        } catch (e) {
          this.fail(new ConsumerHandlerError(batch.topic, batch.partition, batch.messages[0]!.offset, toError(e)));
          break;
        }
      }
    }
  }

  private fail(error: Error): void {
    if (!this.state.stop(error)) return;
    void this.close();
  }

  async commit(offsets: CommitOffset[]): Promise<void> {
    const owned = this.state.committable(offsets);
    if (owned.length === 0) return;
    try {
      this.consumer.commitSync(owned.map((o) => ({ topic: o.topic, partition: o.partition, offset: Number(o.offset) })));
    } catch (e) {
      throw asError(e);
    }
  }

  /** Ends the loop (after the batch in flight), then closes: leaves the group, revoking via rebalance_cb. */
  private close(): Promise<void> {
    this.closing ??= (async () => {
      await this.loopDone.catch(() => undefined);
      await disconnectClient(this.consumer);
    })();
    return this.closing;
  }

  async disconnect(): Promise<void> {
    this.state.stop();
    await this.close();
  }

  stopped(): Promise<void> {
    return this.state.done.promise;
  }
}
