/**
 * One topic-partition's processing: buffer → deterministic step over the buffered messages →
 * one insert per table → log → offset commit. Deterministic given (state, messages, wall time),
 * so a flush interrupted by a crash is redone with the same boundaries and the same
 * deduplication tokens, and ClickHouse drops the inserts that had already landed.
 *
 * Flushes are pipelined: the next flush is stepped while the last one's inserts are in flight (at
 * most MAX_IN_FLIGHT per partition); done rows, state commits and offset commits stay in order.
 */
import { GRAINS, type Grain } from '@cs/catalog';
import type { InsertCoalescer } from '@cs/clickhouse';
import type { ConsumedMessage, Producer } from '@cs/kafka';
import { counter, gauge, histogram, type Logger, type TimeRules } from '@cs/runtime';
import { checkFuture, decodeEvent } from '@cs/schemas';
import { TABLES, type MetricSumRow } from '@cs/storage';
import type { Buckets } from '../buckets.ts';
import { defect, failpoint, failpointDue } from './failpoints.ts';
import { flushToken, sameIntent, type FlushIntent, type LogStore, type PartitionRef } from './log-store.ts';
import type { FlushMarkerRow, FlushMarkers } from './flush-markers.ts';
import { idleAdvanceTo, IdleStep } from './idle-advance.ts';
import { FlushOutputs } from './outputs.ts';
import type { LmdbState } from './state-store.ts';
import type { StepContext, StepResult, TopicLogic } from './types.ts';

const stepResults = counter('cs_processor_events_total', 'Events processed, by topic and result (ok, drop, dead_letter) and reason', ['topic', 'result', 'reason']);
const flushes = counter('cs_processor_flushes_total', 'Flushes written, by topic and kind', ['topic', 'kind']);
const streamTimeGauge = gauge('cs_processor_stream_time_seconds', 'Stream time of a partition (largest event_time processed, or where an idle flush advanced it), epoch seconds', ['topic', 'partition']);
const flushSeconds = histogram(
  'cs_processor_flush_duration_seconds',
  'Time of one flush, from its intent to its done row (step and every insert included), by topic',
  ['topic'],
  // Up to minutes: working through a backlog, a flush waits behind the inserts of the ones before it.
  [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
);
const phaseSeconds = histogram(
  'cs_processor_flush_phase_seconds',
  'Time of one phase of a flush (claim: until its intent holds, written and read back or, with an exclusive store, decided in memory; step; inserts: its intent row landed and its rows acknowledged; done: done row, state and offset commit), by topic',
  ['topic', 'phase'],
  [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
);
const visibleGauge = gauge('cs_processor_last_flush_visible_seconds', 'Wall time at which the last flush of a partition was acknowledged by ClickHouse (its rows queryable), epoch seconds', ['topic', 'partition']);

/** Flushes of one partition stepped and not yet done: the step of one overlaps the inserts of the other. */
const MAX_IN_FLIGHT = 2;

export interface PartitionDeps {
  /** Writes of flushes stepped together (one tick, every partition) share one insert per table. */
  inserts: InsertCoalescer;
  db: string;
  log: LogStore;
  logger: Logger;
  rules: TimeRules;
  buckets: Buckets;
  logic: TopicLogic;
  /** Producer for the dead-letter topic. */
  deadLetterProducer: Producer | null;
  deadLetterTopic: string;
  /** A snapshot every this many flushes (incremental: the keys changed since the last one)… */
  snapshotEvery: number;
  /** …and a base snapshot (every key) when the last one is older than this. */
  snapshotBaseEveryMs: number;
  /** A quiet partition snapshots once its oldest flush not in a snapshot is this old. */
  snapshotIdleAfterMs: number;
  /** An idle flush advances stream time at most this far past the next window due (idleAdvance), to begin with… */
  idleAdvanceStepMs: number;
  /** …then a step fitted to this many changed state keys a flush (IdleStep). */
  idleAdvanceKeys: number;
  /** CS_TOPIC_PREFIX, written into the watermarks so cs.settled reads one pipeline's. */
  topicPrefix: string;
  /** Partitions of a Kafka topic (0 while unknown): cs.settled counts a metric final only when every partition reported. */
  partitionsOf(topic: string): number;
  /** Called, in order, once a flush is done: everything below `offset` is in ClickHouse. */
  onDone(ref: PartitionRef, offset: number): Promise<void>;
  /**
   * With an exclusive store: the metric sums share inserts, marked per flush (flush-markers.ts).
   * Null: each flush's sums are an insert of their own, whose token drops a redo's repeat.
   */
  markers: FlushMarkers | null;
}

interface Meta {
  seq: number;
  nextOffset: number;
  streamTime: number | null;
  /** The largest event_time of an event accepted (idle flushes do not move it). */
  eventTime?: number | null;
}

const META = '__meta';
/** Changed keys from which a quiet partition snapshots at once (below: once its flushes are old, snapshotIfBehind). */
const IDLE_SNAPSHOT_KEYS = 1_000;
const SUMS = TABLES.metricSums;
/** A grain's table before migration 0010 (one per grain); a redo of an older intent checks its token. */
const legacySumsTable = (grain: Grain) => `${SUMS}_${grain}`;

/**
 * The metric-sum rows a redo still has to write, given the sum tokens that landed: none once the
 * flush's `metric_sums` token landed; else those of the grains whose per-grain table (the layout
 * before migration 0010, tokens `…/metric_sums_<grain>`) did not get them, for an intent a previous
 * version logged before it crashed.
 */
export function sumsToRedo(rows: MetricSumRow[], landed: ReadonlySet<string>, token: (table: string) => string): MetricSumRow[] {
  if (landed.has(token(SUMS))) return [];
  return rows.filter((row) => !landed.has(token(legacySumsTable(row.grain))));
}

export class PartitionTask {
  private buffer: ConsumedMessage[] = [];
  private firstBufferedAt = 0;
  lastMessageAt = Date.now();
  lastIdleFlushAt = 0;
  /** The last idle flush stopped short of its target (idleAdvance): the next one needs no CS_IDLE_FLUSH wait. */
  closingInSteps = false;
  private readonly idleStep: IdleStep;
  private pending: FlushIntent | null;
  /** Serialises steps (and the decision of the next intent). */
  private stepping: Promise<unknown> = Promise.resolve();
  /** Writes of stepped flushes, oldest first; each settles after its done row, state and offset commit. */
  private readonly inFlight: Promise<void>[] = [];
  /** The inserts of each flush in flight, by seq (the before-commit failpoint waits for the next one's). */
  private readonly writes = new Map<number, Promise<unknown>>();
  /** Orders done rows, state commits and offset commits. */
  private doneChain: Promise<void> = Promise.resolve();
  /** The first write that failed: the processor stops on it. */
  failure: Error | null = null;
  private flushesSinceSnapshot = 0;
  /** When the oldest flush not in a snapshot was done (null: none since the last snapshot). */
  private unsnapshottedSince: number | null = null;
  /**
   * Flushes the first snapshot comes early by: partitions flush together (StreamProcessor's tick),
   * so without it every partition would snapshot in the same flush.
   */
  private snapshotHead: number;
  private snapshotting: Promise<void> | null = null;
  /** Seq of the base snapshot incrementals build on (null: the next snapshot is a base). */
  private base: number | null;
  private baseWrittenAt = 0;
  private meta: Meta;
  private retired = false;

  private constructor(
    readonly ref: PartitionRef,
    private readonly deps: PartitionDeps,
    private readonly state: LmdbState,
    pending: FlushIntent | null,
    base: number | null,
  ) {
    this.pending = pending;
    this.base = base;
    this.snapshotHead = [...`${ref.topic}/${ref.partition}`].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 0) % deps.snapshotEvery;
    this.meta = state.get<Meta>(META) ?? { seq: 0, nextOffset: 0, streamTime: null };
    this.idleStep = new IdleStep(deps.idleAdvanceStepMs, deps.idleAdvanceKeys);
  }

  static async restore(ref: PartitionRef, deps: PartitionDeps, state: LmdbState): Promise<PartitionTask> {
    const started = performance.now();
    const restored = await deps.log.restore(ref, state);
    const task = new PartitionTask(ref, deps, state, restored.pending, restored.base);
    deps.logger.info(
      { ...ref, seq: restored.seq, nextOffset: task.nextOffset, from: restored.source, deltas: restored.deltas, redo: restored.pending, ms: Math.round(performance.now() - started) },
      'partition restored',
    );
    return task;
  }

  /** The next offset to step (everything below is stepped; in ClickHouse once its flush is done). */
  get nextOffset(): number {
    return this.meta.nextOffset;
  }

  /** The largest event_time accepted on this partition (null before its first event). */
  get eventTime(): number | null {
    return this.meta.eventTime ?? null;
  }

  /** The partition's stream time (null before its first event or idle advance). */
  get streamTime(): number | null {
    return this.meta.streamTime;
  }

  /**
   * Whether advancing stream time to `target` would change anything: it settles an event not yet
   * past the horizon, it moves this partition's watermarks over buckets that hold figures (up to the
   * end of the day of the pipeline's latest event, `pipelineTime`: cs.settled waits for every
   * partition, also one without events there), or it reaches something the logic has due. A quiet
   * pipeline is then not flushed over and over for nothing.
   */
  advanceChanges(target: number, pipelineTime: number): boolean {
    const { streamTime, eventTime } = this.meta;
    if (streamTime !== null && target <= streamTime) return false;
    if (streamTime === null) return true;
    const lateness = this.deps.rules.allowedLatenessMs;
    const horizon = streamTime - lateness;
    if (eventTime !== undefined && eventTime !== null && horizon <= eventTime) return true;
    if (horizon < this.deps.buckets.end(pipelineTime, 'day')) return true;
    const due = this.deps.logic.nextDue(this.state, this.deps.rules);
    return due !== null && due < target - lateness;
  }

  /**
   * Where an idle flush towards `target` advances stream time (idle-advance.ts): a close in steps of
   * bounded size. The intent records the instant, so a redo repeats the same step.
   */
  idleAdvance(target: number): number {
    const { rules, logic } = this.deps;
    const to = idleAdvanceTo(this.meta.streamTime, target, logic.nextDue(this.state, rules), rules.allowedLatenessMs, this.idleStep.stepMs);
    this.closingInSteps = to < target;
    return to;
  }

  get bufferedCount(): number {
    return this.buffer.length;
  }

  get bufferAgeMs(): number {
    return this.buffer.length ? Date.now() - this.firstBufferedAt : 0;
  }

  /** Flushes stepped whose writes are not done. */
  get writing(): number {
    return this.inFlight.length;
  }

  /** Buffers the messages not yet processed (a re-delivered prefix is skipped). */
  add(messages: ConsumedMessage[]): void {
    const next = this.meta.nextOffset;
    const buffered = this.buffer.length ? Number(this.buffer[this.buffer.length - 1]!.offset) : next - 1;
    let lastBuffered = buffered;
    let repeated = 0;
    for (const m of messages) {
      const offset = Number(m.offset);
      if (offset <= buffered) continue;
      // Also within one call: a batch may repeat messages (kafkajs around a rebalance); stepped twice in
      // one flush, the second copy would be judged against the first's stream time (late).
      if (offset <= lastBuffered) {
        repeated++;
        continue;
      }
      if (!this.buffer.length) this.firstBufferedAt = Date.now();
      this.buffer.push(m);
      lastBuffered = offset;
    }
    if (repeated) this.deps.logger.warn({ ...this.ref, repeated }, 'skipped messages repeated within a batch');
    if (messages.length) this.lastMessageAt = Date.now();
  }

  /**
   * True when another member wrote flushes of this partition beyond those this task stepped: this
   * member was paused past its session timeout, the partition moved and came back, and the task's
   * state is stale (the log's is current). Checked between steps, so the task's own claims count.
   */
  overtaken(): Promise<boolean> {
    const run = this.stepping.then(async () => (await this.deps.log.lastIntentSeq(this.ref)) > this.meta.seq);
    this.stepping = run.catch(() => {});
    return run;
  }

  /**
   * The partition was taken from this task (revoked, restored anew, or its log is ahead of the
   * broker's topic): it steps nothing more and writes no snapshot. A batch handler may still hold
   * it, and the task that replaces it shares its local store: a flush stepped here after the new
   * task restored would change the state under it.
   */
  retire(): void {
    this.retired = true;
  }

  /** Hands over the messages buffered and not stepped (to the task that replaces this one). */
  takeBuffer(): ConsumedMessage[] {
    const messages = this.buffer;
    this.buffer = [];
    return messages;
  }

  /** True when an unfinished flush from before a crash can now be redone. */
  get redoReady(): boolean {
    if (!this.pending) return false;
    if (this.pending.to === this.pending.from) return true;
    const last = this.buffer[this.buffer.length - 1];
    return last !== undefined && Number(last.offset) >= this.pending.to - 1;
  }

  get awaitingRedo(): boolean {
    return this.pending !== null;
  }

  /**
   * Steps the buffer (or redoes the pending intent) as one flush and starts writing it; resolves
   * once stepped (the writes go on: `drain()` waits for them). Rejects if an earlier write failed.
   */
  flush(advanceTo: number | null = null): Promise<void> {
    const run = this.stepping.then(() => this.stepFlush(advanceTo));
    this.stepping = run.catch(() => {});
    return run;
  }

  /** Waits until every stepped flush is done (or throws the first write failure). */
  async drain(): Promise<void> {
    await this.stepping;
    while (this.inFlight.length) await this.inFlight[0];
    if (this.failure) throw this.failure;
  }

  /** Drains, then waits for a snapshot being written (it reads lmdb): nothing of this task is left under way. */
  async settle(): Promise<void> {
    await this.drain();
    await this.snapshotting;
  }

  private async stepFlush(advanceTo: number | null): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.retired) return;
    while (this.inFlight.length >= MAX_IN_FLIGHT) await this.inFlight[0];
    if (this.failure) throw this.failure;
    const started = performance.now();
    let intent: FlushIntent;
    let redo = false;
    /** The intent's row in the log: the flush's inserts wait for it (a redo's intent is there already). */
    let intentLanded: Promise<void> = Promise.resolve();
    if (this.pending) {
      redo = true;
      if (!this.redoReady) return;
      intent = this.pending;
      this.deps.logger.warn({ ...this.ref, intent }, 'redoing an unfinished flush');
    } else {
      if (!this.buffer.length && advanceTo === null) return;
      const last = this.buffer[this.buffer.length - 1];
      const claim = { seq: this.meta.seq + 1, from: this.meta.nextOffset, to: last ? Number(last.offset) + 1 : this.meta.nextOffset, wallTime: Date.now(), advanceTo };
      // An intent claims its seq; the first one written holds it. Another member may hold this one: a
      // previous owner finishing its pipelined flushes, or a zombie (paused past its session, its
      // partitions moved, resumed) stepping what it had buffered. Their inserts carry the same tokens,
      // so two different flushes under one seq would mix or drop each other's rows: the loser redoes
      // the holder's intent instead (same state and messages, so the same rows). Checked before the
      // step, which then needs no undoing.
      const { holder, landed } = await this.deps.log.claim(this.ref, claim);
      phaseSeconds.observe({ topic: this.ref.topic, phase: 'claim' }, (performance.now() - started) / 1000);
      if (!holder) throw new Error(`intent ${claim.seq} of ${this.ref.topic}/${this.ref.partition} is not readable after its insert`);
      if (!sameIntent(holder, claim)) {
        await landed;
        this.deps.logger.warn({ ...this.ref, claim, holder }, 'another member holds this flush; redoing its intent');
        this.pending = holder;
        return this.stepFlush(advanceTo);
      }
      intent = claim;
      intentLanded = landed;
    }
    // Exactly the intent's messages: the consumer kept buffering during the claim, and what came
    // after `to` is the next flush's (a redo steps [from, to) only, so must the first try).
    const cut = this.buffer.findIndex((m) => Number(m.offset) >= intent.to);
    const messages = cut < 0 ? this.buffer : this.buffer.slice(0, cut);
    this.buffer = cut < 0 ? [] : this.buffer.slice(cut);
    this.pending = null;
    if (this.buffer.length) this.firstBufferedAt = Date.now();
    const stepStarted = performance.now();
    const outputs = this.process(messages, intent);
    const delta = this.state.takeDelta(intent.seq);
    if (intent.advanceTo !== null) this.idleStep.observe(delta.size);
    const stepped = performance.now();
    phaseSeconds.observe({ topic: this.ref.topic, phase: 'step' }, (stepped - stepStarted) / 1000);
    const write = Promise.resolve().then(async () => {
      await intentLanded;
      if (defect('commit-at-intent')) await this.deps.onDone(this.ref, intent.to);
      failpoint('after-intent', this.ref.topic, intent.seq);
      const markers = await this.write(intent, outputs, redo);
      phaseSeconds.observe({ topic: this.ref.topic, phase: 'inserts' }, (performance.now() - stepped) / 1000);
      return markers;
    });
    this.writes.set(intent.seq, write);
    const done = this.finish(intent, write, delta, started);
    this.inFlight.push(done);
    void done.finally(() => {
      this.inFlight.splice(this.inFlight.indexOf(done), 1);
      this.writes.delete(intent.seq);
    });
    if (intent.advanceTo !== null) this.lastIdleFlushAt = Date.now();
  }

  /** After the flush's inserts: its done row, its state into lmdb, the offset commit, in flush order. */
  private finish(intent: FlushIntent, write: Promise<FlushMarkerRow[]>, delta: Map<string, Buffer | null>, started: number): Promise<void> {
    const previous = this.doneChain;
    const run = (async () => {
      const markers = await write;
      await previous;
      if (this.failure) return;
      const doneStarted = performance.now();
      const labels = { topic: this.ref.topic, partition: this.ref.partition };
      visibleGauge.set(labels, Date.now() / 1000);
      await this.deps.log.writeDone(this.ref, intent, delta);
      // Done: no redo of this flush can follow, so its markers go.
      this.deps.markers?.done(markers);
      const snapshot = ++this.flushesSinceSnapshot + this.snapshotHead >= this.deps.snapshotEvery && !this.snapshotting;
      this.unsnapshottedSince ??= Date.now();
      const capture = await this.state.apply(intent.seq, () => (snapshot ? this.captureSnapshot(intent.seq) : undefined));
      if (capture) this.startSnapshot(capture);
      if (failpointDue('before-commit', this.ref.topic, intent.seq)) await this.nextWritesLanded(intent.seq);
      failpoint('before-commit', this.ref.topic, intent.seq);
      flushes.inc({ topic: this.ref.topic, kind: intent.advanceTo !== null ? 'idle' : 'batch' });
      flushSeconds.observe({ topic: this.ref.topic }, (performance.now() - started) / 1000);
      phaseSeconds.observe({ topic: this.ref.topic, phase: 'done' }, (performance.now() - doneStarted) / 1000);
      const streamTime = this.meta.streamTime;
      if (streamTime !== null) streamTimeGauge.set(labels, streamTime / 1000);
      await this.deps.onDone(this.ref, intent.to);
    })().catch((err: Error) => {
      this.failure ??= err;
    });
    this.doneChain = run;
    return run;
  }

  /** TEST-ONLY (before-commit failpoint): waits, at most 10 s, for a flush after `seq` to be stepped and its inserts to land. */
  private async nextWritesLanded(seq: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const next = this.writes.get(seq + 1);
      if (next) {
        await next.catch(() => {});
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /**
   * Takes what the snapshot of flush `seq` writes, synchronously while lmdb holds exactly the state
   * after `seq`: the keys changed since the last snapshot, or a read snapshot of every key.
   */
  private captureSnapshot(seq: number): { seq: number; kind: 'base' | 'incremental'; entries: Iterator<[string, Buffer | null]>; changed: string[] } {
    this.flushesSinceSnapshot = 0;
    this.unsnapshottedSince = null;
    this.snapshotHead = 0;
    const changed = this.state.takeChanged();
    const base = this.base === null || Date.now() - this.baseWrittenAt >= this.deps.snapshotBaseEveryMs;
    if (base) return { seq, kind: 'base', entries: this.state.encodedEntries(), changed };
    return { seq, kind: 'incremental', entries: this.state.encodedValues(changed)[Symbol.iterator](), changed };
  }

  /** Writes a captured snapshot in the background (one at a time); a failed one leaves its keys for the next. */
  private startSnapshot(capture: ReturnType<PartitionTask['captureSnapshot']>): void {
    const { seq, kind, entries, changed } = capture;
    const iterable = { [Symbol.iterator]: () => entries };
    this.snapshotting = this.deps.log
      .writeSnapshot(this.ref, seq, kind, this.base ?? seq, iterable)
      .then(() => {
        if (kind === 'base') {
          this.base = seq;
          this.baseWrittenAt = Date.now();
        }
        return this.state.forgetChanged(changed, seq);
      })
      .catch((err: Error) => {
        if (kind === 'base') this.base = null;
        this.deps.logger.warn({ err: err.message, ...this.ref, seq }, 'snapshot failed; the next one retries');
      })
      .finally(() => {
        this.snapshotting = null;
      });
  }

  /**
   * Snapshots a partition that went quiet with flushes since its last snapshot, so its restore
   * never depends on log rows old enough to have expired (processor_log keeps 3 days) and its
   * restore is short. A few changed keys (a quiet partition's idle flushes: its clock, a window or
   * two) wait until the oldest flush is `snapshotIdleAfterMs` old: a live pipeline idle-flushes its
   * quiet partitions every CS_IDLE_FLUSH, and a snapshot after each (all of them at once) was a
   * burst of the engine's slowest inserts every 30 s.
   */
  async snapshotIfBehind(): Promise<void> {
    if (this.retired || this.flushesSinceSnapshot === 0 || this.inFlight.length || this.pending || this.snapshotting) return;
    const young = this.unsnapshottedSince !== null && Date.now() - this.unsnapshottedSince < this.deps.snapshotIdleAfterMs;
    if (young && this.state.changedCount < IDLE_SNAPSHOT_KEYS) return;
    const capture = await this.state.apply(this.meta.seq, () => this.captureSnapshot(this.meta.seq));
    if (capture) this.startSnapshot(capture);
    await this.snapshotting;
  }

  private setMeta(meta: Meta): void {
    this.meta = meta;
    this.state.set(META, meta);
  }

  private process(messages: ConsumedMessage[], intent: FlushIntent): FlushOutputs {
    const { rules, logic, buckets } = this.deps;
    const out = new FlushOutputs(buckets, intent.wallTime, intent.seq);
    const meta = { ...this.meta };
    const ctx: StepContext = { topic: logic.topic, kafkaTopic: this.ref.topic, partition: this.ref.partition, rules, state: this.state, emit: out, streamTime: meta.streamTime ?? 0, horizon: -Infinity };
    for (const msg of messages) {
      let result: StepResult;
      try {
        result = this.step(msg, meta, ctx, out, intent.wallTime);
      } catch (err) {
        result = { kind: 'dead_letter', reason: 'invalid', detail: `processing failed: ${(err as Error).message}` };
        out.deadLetter(msg, result.reason, result.detail);
      }
      stepResults.inc({ topic: this.ref.topic, result: result.kind, reason: result.kind === 'ok' ? '' : result.kind === 'drop' ? result.why : result.reason });
    }
    // An idle flush moves stream time on as events would (SPEC §4), so windows close and figures
    // settle exactly as if time had passed on this partition.
    if (intent.advanceTo !== null && (meta.streamTime === null || intent.advanceTo > meta.streamTime)) meta.streamTime = intent.advanceTo;
    if (meta.streamTime !== null) {
      ctx.streamTime = meta.streamTime;
      ctx.horizon = meta.streamTime - rules.allowedLatenessMs;
      logic.closeWindows(ctx);
      this.watermarks(ctx, intent, out);
    }
    this.setMeta({ ...meta, seq: intent.seq, nextOffset: intent.to });
    return out;
  }

  /** One watermark row per metric the topic feeds: where its figures of this partition are final. */
  private watermarks(ctx: StepContext, intent: FlushIntent, out: FlushOutputs): void {
    const { logic, topicPrefix } = this.deps;
    const settled = logic.settled(ctx);
    for (const metric of logic.metrics) {
      out.row('watermarks', {
        processor: this.ref.processor,
        prefix: topicPrefix,
        topic: this.ref.topic,
        logical_topic: logic.topic,
        partition: this.ref.partition,
        partitions: this.deps.partitionsOf(this.ref.topic),
        metric,
        settled_before: Math.min(settled[metric] ?? ctx.horizon, ctx.horizon),
        stream_time: ctx.streamTime,
        seq: intent.seq,
        flushed_at: intent.wallTime,
      });
    }
  }

  private step(msg: ConsumedMessage, meta: Meta, ctx: StepContext, out: FlushOutputs, wallTime: number): StepResult {
    if (!msg.value) {
      if (defect('drop-empty')) return { kind: 'drop', why: 'duplicate' };
      out.deadLetter(msg, 'decode', 'empty message');
      return { kind: 'dead_letter', reason: 'decode', detail: 'empty message' };
    }
    const decoded = decodeEvent(this.deps.logic.topic, msg.value);
    if (!decoded.ok) {
      const reason = decoded.reason === 'decode' ? 'decode' : 'invalid';
      out.deadLetter(msg, reason, decoded.detail);
      return { kind: 'dead_letter', reason, detail: decoded.detail };
    }
    const event = decoded.event;
    const future = checkFuture(event, wallTime, this.deps.rules.maxFutureMs);
    if (future) {
      out.deadLetter(msg, 'future', future.reason, event);
      return { kind: 'dead_letter', reason: 'future', detail: future.reason };
    }
    const lateness = this.deps.rules.allowedLatenessMs;
    if (meta.streamTime !== null && event.event_time < meta.streamTime - lateness) {
      const detail = `event_time is more than ${lateness} ms before stream time ${new Date(meta.streamTime).toISOString()}`;
      out.deadLetter(msg, 'late', detail, event);
      return { kind: 'dead_letter', reason: 'late', detail };
    }
    meta.streamTime = Math.max(meta.streamTime ?? event.event_time, event.event_time);
    meta.eventTime = Math.max(meta.eventTime ?? event.event_time, event.event_time);
    ctx.streamTime = meta.streamTime;
    ctx.horizon = meta.streamTime - lateness;
    const result = this.deps.logic.onEvent(ctx, event, msg);
    if (result.kind === 'ok') out.raw(this.deps.logic.rawTable, event, msg.partition, Number(msg.offset));
    else if (result.kind === 'dead_letter') out.deadLetter(msg, result.reason, result.detail, event);
    return result;
  }

  /**
   * One write per table, each with a token naming this flush, so a redo is dropped as a duplicate.
   * A redo also skips the metric sums its flush already wrote (flush_ledger): the tokens are
   * remembered for a table's last `non_replicated_deduplication_window` inserts only. The other
   * tables' writes share inserts with other partitions' (InsertCoalescer), whose token names them
   * all: those tables are ReplacingMergeTrees, where a row written twice is one row to readers.
   * With flush markers (exclusive store) the sums share inserts too, and a redo skips the days
   * whose marker landed. Returns the flush's markers (cancelled once it is done).
   */
  private async write(intent: FlushIntent, out: FlushOutputs, redo: boolean): Promise<FlushMarkerRow[]> {
    const { inserts, db, markers } = this.deps;
    const token = (table: string) => flushToken(this.ref, intent.seq, table);
    const tables = new Map(out.tableRows());
    if (out.deadLetters.length) tables.set('dead_letters', out.deadLetters as unknown as Record<string, unknown>[]);
    let sums = out.metricRows(token(SUMS));
    if (sums.length && redo && !defect('no-dedup')) {
      if (!defect('no-ledger')) sums = sumsToRedo(sums, await this.deps.log.landed([SUMS, ...GRAINS.map(legacySumsTable)].map(token)), token);
      if (sums.length && markers && !defect('no-markers')) sums = markers.unmarked(sums, await this.deps.log.markedDays(token(SUMS)));
    }
    const marked = sums.length && markers ? markers.mark(sums, token(SUMS)) : [];
    if (sums.length) tables.set(SUMS, [...sums, ...marked, ...(markers?.takeCancels() ?? [])] as unknown as Record<string, unknown>[]);
    let first = true;
    // PROCESSOR_FAULT_DEFECT=no-dedup (negative controls only): every insert unique, so a redo counts twice.
    const dedupToken = (table: string) => (defect('no-dedup') ? `${token(table)}/${Date.now()}-${Math.random()}` : token(table));
    const landed = (table: string) => () => {
      failpoint('mid-insert', this.ref.topic, intent.seq, { table, first });
      first = false;
    };
    const writes = [
      // The metric sums (not idempotent) keep an insert of their own, so that a redo has the same
      // token, unless they are marked; either way they are written first (they make figures visible).
      ...[...tables].map(([table, rows]) =>
        inserts.rows(`${db}.${table}`, rows, { dedupToken: dedupToken(table), alone: table === SUMS && !markers, first: table === SUMS }).then(landed(table)),
      ),
      ...[...out.raws].map(([table, raw]) => inserts.tsv(`${db}.${table}`, raw.columns, raw.body, { dedupToken: dedupToken(table) }).then(landed(table))),
    ];
    if (out.deadLetters.length && this.deps.deadLetterProducer) {
      writes.push(this.deps.deadLetterProducer.send(out.deadLetters.map((d) => ({ topic: this.deps.deadLetterTopic, key: d.key, value: Buffer.from(JSON.stringify(d)) }))));
    }
    await Promise.all(writes);
    return marked;
  }
}
