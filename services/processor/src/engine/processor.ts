/**
 * The stream processor: a consumer group over the event topics, one PartitionTask per owned
 * partition, flushes on size/time/idleness, offsets committed only after ClickHouse acknowledged.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { InsertCoalescer } from '@cs/clickhouse';
import type { Admin, ConsumedMessage, Consumer, PartitionBatch, Producer, TopicPartition } from '@cs/kafka';
import { gauge, type Logger } from '@cs/runtime';
import type { Topic } from '@cs/schemas';
import { TABLES } from '@cs/storage';
import { Buckets } from '../buckets.ts';
import type { ProcessorConfig } from '../config.ts';
import { LOGIC } from '../logic/index.ts';
import { aheadOfBroker, highWatermark } from './broker-offsets.ts';
import { LogStore, type PartitionRef } from './log-store.ts';
import { PartitionTask } from './partition.ts';
import { PipelineClock } from './pipeline-clock.ts';
import { untilTheStoreAnswers } from '../store-retry.ts';
import { FlushMarkers } from './flush-markers.ts';
import { claimStateSlot, type StateSlot } from './state-slot.ts';
import { closeStateEnv, openPartitionState } from './state-store.ts';

/** How often the pipeline's lag and high watermarks are read (idle detection, lag gauges). */
const CLOCK_POLL_MS = 2_000;

const buffered = gauge('cs_processor_buffered_messages', 'Messages buffered and not yet flushed', ['topic', 'partition']);

export interface ProcessorDeps {
  config: ProcessorConfig;
  consumer: Consumer;
  /** Reads high watermarks: an idle flush needs the partition to be caught up, a restored log must not be ahead. */
  admin: Admin;
  deadLetterProducer: Producer | null;
  client: ClickHouseClient;
  db: string;
  logger: Logger;
  /** Base directory of the local state (CS_STATE_DIR, or chosen by the caller). */
  stateDir: string;
  /** This process is the store's only writer (LogStore `exclusive`): claims are decided in memory once held. */
  exclusiveStore?: boolean;
}

const id = (tp: TopicPartition) => `${tp.topic}/${tp.partition}`;

/**
 * True when a buffer is due (or a redo ready): its oldest message waited `intervalMs`, or only
 * `minIntervalMs` while no flush is being written (the store keeps up with the flushes).
 */
export function flushDue(tasks: readonly Pick<PartitionTask, 'redoReady' | 'bufferedCount' | 'bufferAgeMs' | 'writing'>[], intervalMs: number, minIntervalMs: number): boolean {
  const due = tasks.some((t) => t.writing > 0) ? intervalMs : Math.min(minIntervalMs, intervalMs);
  return tasks.some((t) => t.redoReady || (t.bufferedCount > 0 && t.bufferAgeMs >= due));
}

export class StreamProcessor {
  private readonly tasks = new Map<string, Promise<PartitionTask>>();
  /** Tasks of partitions this member lost, finishing the writes they had under way. */
  private readonly retiring = new Map<string, Promise<ConsumedMessage[]>>();
  /** Offset commits of flushes done in the same turn of the event loop, sent as one request. */
  private commits: { ref: PartitionRef; offset: number; resolve: () => void }[] = [];
  /** The offset last committed per partition by this instance. */
  private readonly committed = new Map<string, number>();
  /**
   * Partitions whose restored log is ahead of the broker's topic (broker-offsets.ts): nothing of them
   * is stepped or committed, and the processor is not ready while it owns one.
   */
  private readonly ahead = new Set<string>();
  private readonly log: LogStore;
  private readonly inserts: InsertCoalescer;
  private readonly buckets: Buckets;
  private readonly markers: FlushMarkers | null;
  private readonly clock: PipelineClock;
  private readonly slot: StateSlot;
  private lastClockPoll = 0;
  private clockPolling = false;
  /** Idle work (commit, catch-up flush, snapshot) under way per quiet partition. */
  private readonly idleWork = new Map<PartitionTask, Promise<void>>();
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
    this.inserts = new InsertCoalescer(deps.client, untilTheStoreAnswers(deps.logger, 'insert'));
    this.log = new LogStore(deps.client, deps.db, this.inserts, untilTheStoreAnswers(deps.logger, 'read of the processor log'), deps.exclusiveStore ?? false);
    this.failed.catch(() => {}); // observed through RunningProcessor.stopped
    this.buckets = new Buckets(deps.config.rules.timeZone);
    this.markers = deps.exclusiveStore ? new FlushMarkers(this.buckets) : null;
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
    return this.running && !this.failure && this.ahead.size === 0;
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
      const { config, logger, deadLetterProducer } = this.deps;
      const logic = LOGIC[tp.topic.slice(config.topicPrefix.length) as Topic];
      if (!logic) throw new Error(`no processing logic for topic ${tp.topic}`);
      const ref = { processor: config.groupId, topic: tp.topic, partition: tp.partition };
      // A task of this partition still finishing its writes (it was revoked, now comes back) owns the
      // local store until it is done.
      const previous = this.retiring.get(id(tp)) ?? Promise.resolve([]);
      let carried: ConsumedMessage[] = [];
      task = previous.then((messages) => ((carried = messages), openPartitionState(this.slot.dir, `${tp.topic}/${tp.partition}`))).then((state) =>
        PartitionTask.restore(
          ref,
          {
            inserts: this.inserts,
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
            snapshotIdleAfterMs: config.snapshotIdleAfterMs,
            idleAdvanceStepMs: config.idleAdvanceStepMs,
            idleAdvanceKeys: config.idleAdvanceKeys,
            topicPrefix: config.topicPrefix,
            partitionsOf: (topic) => this.clock.partitionsOf(topic),
            onDone: (r, offset) => this.commit(r, offset),
            markers: this.markers,
          },
          state,
        ).then(async (restored) => {
          // Once per restore (before any batch reaches the task); retired, it steps and snapshots nothing.
          if ((await aheadOfBroker(this.deps.admin, ref, restored.nextOffset, logger)) && this.tasks.get(id(tp)) === task) {
            restored.retire();
            this.ahead.add(id(tp));
          }
          restored.add(carried);
          return restored;
        }),
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
    // A stopping member opens nothing: a partition restored now would write to a state store that
    // stop() is about to close. The partition's next owner restores it.
    if (!this.running) return;
    const keep = new Set(assigned.map(id));
    const current = [...this.tasks].filter(([key]) => keep.has(key));
    const stale = await Promise.all(current.map(([, task]) => task.then((t) => t.overtaken()).catch(() => true)));
    if (!this.running) return;
    const retire = [...[...this.tasks].filter(([key]) => !keep.has(key)), ...current.filter((_, i) => stale[i])];
    for (const [key, task] of retire) {
      this.tasks.delete(key);
      this.ahead.delete(key);
      const carry = keep.has(key);
      if (carry) this.deps.logger.warn({ partition: key }, 'partition moved while this member was away; restoring it from the log');
      const drained = task.then(async (t) => (t.retire(), await t.settle(), carry ? t.takeBuffer() : [])).catch(() => []);
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
    // Stopping: what is fetched now is neither stepped nor committed; the next owner reads it.
    if (!this.running) return;
    const task = await this.task(batch);
    if (this.ahead.has(id(batch))) return;
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
  private commit(ref: PartitionRef, offset: number): Promise<void> {
    this.deps.logger.debug({ ...ref, offset }, 'flushed');
    if (!this.tasks.has(id(ref))) return Promise.resolve();
    // Partitions flushed together commit in one request (one per partition would be ~28 a flush).
    return new Promise((resolve) => {
      if (!this.commits.length) setImmediate(() => void this.commitBatch());
      this.commits.push({ ref, offset, resolve });
    });
  }

  private async commitBatch(): Promise<void> {
    const batch = this.commits;
    this.commits = [];
    const latest = new Map<string, { ref: PartitionRef; offset: number }>();
    for (const c of batch) if ((latest.get(id(c.ref))?.offset ?? -1) < c.offset) latest.set(id(c.ref), c);
    const offsets = [...latest.values()];
    const request = (list: typeof offsets) => this.deps.consumer.commit(list.map(({ ref, offset }) => ({ topic: ref.topic, partition: ref.partition, offset: String(offset) })));
    await request(offsets).then(
      () => offsets.forEach(({ ref, offset }) => this.committed.set(id(ref), offset)),
      // One partition may have moved to another member: commit the others one by one.
      () =>
        Promise.all(
          offsets.map(({ ref, offset }) =>
            request([{ ref, offset }]).then(
              () => this.committed.set(id(ref), offset),
              // The partition moved to another member: its state in ClickHouse is still right, the commit is just late.
              (err: Error) => this.deps.logger.warn({ err: err.message, ...ref }, 'offset commit failed'),
            ),
          ),
        ),
    );
    for (const c of batch) c.resolve();
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
    const { flushIntervalMs, flushIntervalMinMs, rules } = this.deps.config;
    try {
      // A partition ahead of the broker is left out: an idle commit or flush would commit its offsets.
      const tasks = (await Promise.all([...this.tasks.values()])).filter((t) => !this.ahead.has(id(t.ref)));
      // In the background: the admin and ClickHouse reads of a poll can take seconds on a loaded box,
      // and flushes must not wait for them (idle decisions just use the last poll meanwhile).
      void this.pollClock(tasks);
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
      for (const task of tasks) if (task.failure) throw task.failure;
      // Once one partition's buffer is due, every partition with messages flushes with it: their
      // writes share one insert per table (an insert's fixed cost, not its rows, bounds a live
      // pipeline's rate), and the partitions stay in step, so the next tick does the same.
      if (flushDue(tasks, flushIntervalMs, flushIntervalMinMs)) {
        await Promise.all(tasks.filter((t) => t.redoReady || (t.bufferedCount > 0 && !t.awaitingRedo)).map((t) => this.flush(t, null)));
      }
      for (const task of tasks) {
        if (this.idleWork.has(task) || task.awaitingRedo || task.bufferedCount > 0 || now - task.lastMessageAt < rules.idleFlushMs) continue;
        // In the background, one at a time per partition: its reads (high watermark) and writes
        // (snapshot) can take seconds, and the busy partitions' flushes must not wait for them.
        const work = this.idle(task, now, idleTarget, allIdle, latestEvent ?? pipelineTime)
          .catch((err: Error) => this.fail(err))
          .finally(() => this.idleWork.delete(task));
        this.idleWork.set(task, work);
      }
    } catch (err) {
      this.fail(err as Error);
    } finally {
      this.ticking = false;
    }
  }

  /** A quiet partition: commits what its log says is done, catches up with the pipeline's time, or snapshots. */
  private async idle(task: PartitionTask, now: number, idleTarget: number | null, allIdle: boolean, latest: number | null): Promise<void> {
    const { rules } = this.deps.config;
    await this.commitIfBehind(task);
    // Catching up with the pipeline also moves the partition's watermarks (other partitions'
    // buckets become final); the wall clock, once every partition is idle, only when it settles something.
    const worth = idleTarget !== null && (allIdle ? task.advanceChanges(idleTarget, latest!) : task.streamTime === null || idleTarget > task.streamTime);
    // A close in steps (idleAdvance) goes on at once; otherwise an idle flush waits CS_IDLE_FLUSH.
    const waited = task.closingInSteps || now - task.lastIdleFlushAt >= rules.idleFlushMs;
    if (worth && waited && (await this.caughtUp(task))) await this.flush(task, task.idleAdvance(idleTarget));
    else await task.snapshotIfBehind();
  }

  /** A flush failed: the processor stops (it resumes from its log on restart). */
  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.deps.logger.error({ err }, 'flush failed; the processor stops and will resume from its log on restart');
    void this.stop().finally(() => this.onFailure(err));
  }

  /** Refreshes the pipeline clock every CLOCK_POLL_MS, one poll at a time; a failed poll only delays idle decisions. */
  private async pollClock(tasks: PartitionTask[]): Promise<void> {
    const now = Date.now();
    if (this.clockPolling || now - this.lastClockPoll < CLOCK_POLL_MS) return;
    this.lastClockPoll = now;
    this.clockPolling = true;
    try {
      await this.pollClockOnce(tasks, now);
    } finally {
      this.clockPolling = false;
    }
  }

  private async pollClockOnce(tasks: PartitionTask[], now: number): Promise<void> {
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
    const high = await highWatermark(this.deps.admin, task.ref.topic, task.ref.partition);
    return high !== null && task.nextOffset >= high;
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
    await Promise.all(this.idleWork.values());
    const tasks = (await Promise.all([...this.tasks.values()].map((t) => t.catch(() => null)))).filter((t) => t !== null);
    if (!this.failure && opts.flush !== false) {
      for (const task of tasks) await this.flush(task, null).catch((err: Error) => this.deps.logger.error({ err }, 'final flush failed'));
    }
    // Writes already under way finish either way (a crash would redo them; finishing is cheaper).
    for (const task of tasks) await task.drain().catch((err: Error) => this.deps.logger.error({ err }, 'flush failed while stopping'));
    const cancels = this.markers?.takeCancels() ?? [];
    if (cancels.length) await this.inserts.rows(`${this.deps.db}.${TABLES.metricSums}`, cancels).catch((err: Error) => this.deps.logger.warn({ err }, 'flush markers not cancelled'));
    await this.deps.consumer.disconnect();
    // Nothing may touch the state store once it is closed (lmdb aborts the process): every task,
    // also one a rebalance hook opened before the stop began, ends its restore, writes and snapshot.
    const open = await Promise.all([...this.tasks.values()].map((t) => t.catch(() => null)));
    await Promise.all([...this.retiring.values()]);
    for (const task of open) await task?.settle().catch(() => {});
    await closeStateEnv(this.slot.dir);
    this.slot.release();
  }
}
