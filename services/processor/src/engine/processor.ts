/**
 * The stream processor: a consumer group over the event topics, one PartitionTask per owned
 * partition, flushes on size/time/idleness, offsets committed only after ClickHouse acknowledged.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Admin, ConsumedMessage, Consumer, PartitionBatch, Producer, TopicPartition } from '@cs/kafka';
import { gauge, type Logger } from '@cs/runtime';
import type { Topic } from '@cs/schemas';
import { Buckets } from '../buckets.ts';
import type { ProcessorConfig } from '../config.ts';
import { LOGIC } from '../logic/index.ts';
import { LogStore, type PartitionRef } from './log-store.ts';
import { PartitionTask } from './partition.ts';
import { PipelineClock } from './pipeline-clock.ts';
import { claimStateSlot, type StateSlot } from './state-slot.ts';
import { closeStateEnv, LmdbState, openPartitionDb } from './state-store.ts';

/** How often the pipeline's lag and high watermarks are read (idle detection, lag gauges). */
const CLOCK_POLL_MS = 2_000;

const buffered = gauge('cs_processor_buffered_messages', 'Messages buffered and not yet flushed', ['topic', 'partition']);

export interface ProcessorDeps {
  config: ProcessorConfig;
  consumer: Consumer;
  /** Reads high watermarks: an idle flush needs the partition to be caught up. */
  admin: Admin;
  deadLetterProducer: Producer | null;
  client: ClickHouseClient;
  db: string;
  logger: Logger;
  /** Base directory of the local state (CS_STATE_DIR, or chosen by the caller). */
  stateDir: string;
}

const id = (tp: TopicPartition) => `${tp.topic}/${tp.partition}`;

export class StreamProcessor {
  private readonly tasks = new Map<string, Promise<PartitionTask>>();
  /** Tasks of partitions this member lost, finishing the writes they had under way. */
  private readonly retiring = new Map<string, Promise<ConsumedMessage[]>>();
  /** The offset last committed per partition by this instance. */
  private readonly committed = new Map<string, number>();
  private readonly log: LogStore;
  private readonly buckets: Buckets;
  private readonly clock: PipelineClock;
  private readonly slot: StateSlot;
  private lastClockPoll = 0;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private running = false;
  private failure: Error | null = null;
  private onFailure: (err: Error) => void = () => {};
  /** Rejects when a flush outside the consumer's loop failed (the processor then stopped). */
  readonly failed = new Promise<never>((_, reject) => {
    this.onFailure = reject;
  });

  constructor(private readonly deps: ProcessorDeps) {
    this.log = new LogStore(deps.client, deps.db);
    this.failed.catch(() => {}); // observed through RunningProcessor.stopped
    this.buckets = new Buckets(deps.config.rules.timeZone);
    const { config } = deps;
    this.slot = claimStateSlot(deps.stateDir, config.groupId);
    this.clock = new PipelineClock({
      admin: deps.admin,
      client: deps.client,
      db: deps.db,
      groupId: config.groupId,
      topicPrefix: config.topicPrefix,
      topics: config.topics.map((t) => config.topicPrefix + t),
      idleFlushMs: config.rules.idleFlushMs,
      logger: deps.logger,
    });
  }

  get ready(): boolean {
    return this.running && !this.failure;
  }

  async start(): Promise<void> {
    await this.deps.consumer.connect();
    this.running = true;
    this.timer = setInterval(() => void this.tick(), 100);
    await this.deps.consumer.run((batch) => this.onBatch(batch), { onAssignment: (assigned) => this.onAssignment(assigned) });
  }

  private task(tp: TopicPartition): Promise<PartitionTask> {
    let task = this.tasks.get(id(tp));
    if (!task) {
      const { config, client, db, logger, deadLetterProducer } = this.deps;
      const logic = LOGIC[tp.topic.slice(config.topicPrefix.length) as Topic];
      if (!logic) throw new Error(`no processing logic for topic ${tp.topic}`);
      const ref = { processor: config.groupId, topic: tp.topic, partition: tp.partition };
      // A task of this partition still finishing its writes (it was revoked, now comes back) owns the
      // local store until it is done.
      const previous = this.retiring.get(id(tp)) ?? Promise.resolve([]);
      let carried: ConsumedMessage[] = [];
      task = previous.then((messages) => ((carried = messages), openPartitionDb(this.slot.dir, `${tp.topic}/${tp.partition}`))).then((db) =>
        PartitionTask.restore(
          ref,
          {
            client,
            db: this.deps.db,
            log: this.log,
            logger,
            rules: config.rules,
            buckets: this.buckets,
            logic,
            deadLetterProducer,
            deadLetterTopic: config.topicPrefix + config.deadLetterTopic,
            snapshotEvery: config.snapshotEvery,
            snapshotBaseEveryMs: config.snapshotBaseEveryMs,
            topicPrefix: config.topicPrefix,
            partitionsOf: (topic) => this.clock.partitionsOf(topic),
            onDone: (r, offset) => this.commit(r, offset),
          },
          new LmdbState(db),
        ).then((restored) => (restored.add(carried), restored)),
      );
      this.tasks.set(id(tp), task);
      task.catch(() => this.tasks.delete(id(tp)));
    }
    return task;
  }

  /**
   * After a rebalance: forget partitions we lost (their new owner restores them), restore the new
   * ones. A partition kept may have moved meanwhile (this member was a zombie: paused past its
   * session timeout, evicted, rejoined and given it back; kafkajs reports no revocation then): its
   * task is stale, so it is restored from the log too, with the messages it had buffered.
   */
  private async onAssignment(assigned: TopicPartition[]): Promise<void> {
    const keep = new Set(assigned.map(id));
    const current = [...this.tasks].filter(([key]) => keep.has(key));
    const stale = await Promise.all(current.map(([, task]) => task.then((t) => t.overtaken()).catch(() => true)));
    const retire = [...[...this.tasks].filter(([key]) => !keep.has(key)), ...current.filter((_, i) => stale[i])];
    for (const [key, task] of retire) {
      this.tasks.delete(key);
      const carry = keep.has(key);
      if (carry) this.deps.logger.warn({ partition: key }, 'partition moved while this member was away; restoring it from the log');
      const drained = task.then(async (t) => (t.retire(), await t.drain(), carry ? t.takeBuffer() : [])).catch(() => []);
      this.retiring.set(key, drained);
      void drained.then(() => {
        if (this.retiring.get(key) === drained) this.retiring.delete(key);
      });
    }
    this.deps.logger.info({ assigned: assigned.map(id) }, 'partitions assigned');
    await Promise.all(assigned.map((tp) => this.task(tp)));
  }

  private async onBatch(batch: PartitionBatch): Promise<void> {
    if (this.failure) throw this.failure;
    const task = await this.task(batch);
    const max = this.deps.config.flushMaxMessages;
    // Fetched batches can be far larger than a flush: take them in flush-sized slices.
    for (let i = 0; i < batch.messages.length; i += max) {
      task.add(batch.messages.slice(i, i + max));
      buffered.set({ topic: batch.topic, partition: batch.partition }, task.bufferedCount);
      // Back-pressure: a full buffer is flushed before more is taken.
      if (task.bufferedCount >= max || task.redoReady) await this.flush(task, null);
    }
  }

  /** Steps a flush of the task; its writes and offset commit go on in the background (pipelined). */
  private async flush(task: PartitionTask, advanceTo: number | null): Promise<void> {
    await task.flush(advanceTo);
    buffered.set({ topic: task.ref.topic, partition: task.ref.partition }, task.bufferedCount);
  }

  /** A flush is done: everything below `offset` is in ClickHouse, so Kafka may forget it. */
  private async commit(ref: PartitionRef, offset: number): Promise<void> {
    this.deps.logger.debug({ ...ref, offset }, 'flushed');
    if (!this.tasks.has(id(ref))) return;
    await this.deps.consumer.commit([{ topic: ref.topic, partition: ref.partition, offset: String(offset) }]).then(
      () => this.committed.set(id(ref), offset),
      (err: Error) => {
        // The partition moved to another member: its state in ClickHouse is still right, the commit is just late.
        this.deps.logger.warn({ err: err.message, ...ref }, 'offset commit failed');
      },
    );
  }

  /**
   * A quiet partition whose done flushes are ahead of the group's committed offset commits them: after
   * a crash between a done row and its commit, the restored task skips the re-read messages and has
   * nothing to flush, and the lag would otherwise never reach 0 (nor the pipeline count as idle).
   */
  private async commitIfBehind(task: PartitionTask): Promise<void> {
    if (task.nextOffset === 0 || task.writing > 0 || task.awaitingRedo || this.committed.get(id(task.ref)) === task.nextOffset) return;
    await this.commit(task.ref, task.nextOffset);
  }

  private async tick(): Promise<void> {
    if (this.ticking || !this.running) return;
    this.ticking = true;
    const { flushIntervalMs, rules } = this.deps.config;
    try {
      const tasks = await Promise.all([...this.tasks.values()]);
      await this.pollClock(tasks);
      const now = Date.now();
      const pipelineTime = this.clock.streamTime(tasks.map((t) => t.streamTime));
      // The latest day to settle is that of the latest event: stream times include idle advances to the
      // wall clock, and "until the end of today" would idle-flush every partition every CS_IDLE_FLUSH.
      const latestEvent = tasks.reduce<number | null>((max, t) => (t.eventTime !== null && (max === null || t.eventTime > max) ? t.eventTime : max), null);
      // SPEC §4: an idle partition catches up with the pipeline's stream time; once every partition
      // is idle, the wall clock is the stream time: windows close up to it, less the allowed lateness
      // (an event a few minutes old sent into a quiet pipeline is still on time).
      const allIdle = this.clock.allIdle(now);
      const idleTarget = pipelineTime === null ? null : allIdle ? Math.max(now, pipelineTime) : pipelineTime;
      for (const task of tasks) {
        if (task.failure) throw task.failure;
        if (task.redoReady || (task.bufferedCount > 0 && task.bufferAgeMs >= flushIntervalMs)) {
          await this.flush(task, null);
        } else if (!task.awaitingRedo && task.bufferedCount === 0 && now - task.lastMessageAt >= rules.idleFlushMs) {
          await this.commitIfBehind(task);
          // Catching up with the pipeline also moves the partition's watermarks (other partitions'
          // buckets become final); the wall clock, once every partition is idle, only when it settles something.
          const worth = idleTarget !== null && (allIdle ? task.advanceChanges(idleTarget, latestEvent ?? pipelineTime!) : task.streamTime === null || idleTarget > task.streamTime);
          if (worth && now - task.lastIdleFlushAt >= rules.idleFlushMs && (await this.caughtUp(task))) await this.flush(task, idleTarget);
          else await task.snapshotIfBehind();
        }
      }
    } catch (err) {
      this.failure = err as Error;
      this.deps.logger.error({ err }, 'flush failed; the processor stops and will resume from its log on restart');
      void this.stop().finally(() => this.onFailure(err as Error));
    } finally {
      this.ticking = false;
    }
  }

  /** Refreshes the pipeline clock every CLOCK_POLL_MS; a failed poll only delays idle decisions. */
  private async pollClock(tasks: PartitionTask[]): Promise<void> {
    const now = Date.now();
    if (now - this.lastClockPoll < CLOCK_POLL_MS) return;
    this.lastClockPoll = now;
    const busy = tasks.some((t) => t.bufferedCount > 0 || t.awaitingRedo || t.writing > 0);
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 3000).unref());
    const polled = await Promise.race([this.clock.poll(now, busy).then(() => 'ok' as const), timeout]).catch((err: Error) => err.message);
    if (polled !== 'ok') this.deps.logger.debug({ result: polled }, 'pipeline clock poll failed');
  }

  /**
   * Idle means nothing left to read, not a consumer that is stalled (e.g. by a rebalance): windows
   * close on the wall clock only once the partition's log end is reached.
   */
  private async caughtUp(task: PartitionTask): Promise<boolean> {
    const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), 3000).unref());
    const high = await Promise.race([this.deps.admin.highWatermark(task.ref.topic, task.ref.partition).catch(() => null), timeout]);
    return high !== null && task.nextOffset >= Number(high);
  }

  /**
   * Graceful stop: flush what is buffered, commit, leave the group. With `flush: false` buffered
   * work is dropped instead, as in a crash: the next owner re-reads it from Kafka.
   */
  async stop(opts: { flush?: boolean } = {}): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.timer);
    while (this.ticking) await new Promise((r) => setTimeout(r, 20));
    const tasks = (await Promise.all([...this.tasks.values()].map((t) => t.catch(() => null)))).filter((t) => t !== null);
    if (!this.failure && opts.flush !== false) {
      for (const task of tasks) await this.flush(task, null).catch((err: Error) => this.deps.logger.error({ err }, 'final flush failed'));
    }
    // Writes already under way finish either way (a crash would redo them; finishing is cheaper).
    for (const task of tasks) await task.drain().catch((err: Error) => this.deps.logger.error({ err }, 'flush failed while stopping'));
    await this.deps.consumer.disconnect();
    await closeStateEnv(this.slot.dir);
    this.slot.release();
  }
}
