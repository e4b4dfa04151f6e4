/**
 * One topic-partition's processing: buffer → deterministic step over the buffered messages →
 * one insert per table → log → offset commit. Deterministic given (state, messages, wall time),
 * so a flush interrupted by a crash is redone with the same boundaries and the same
 * deduplication tokens, and ClickHouse drops the inserts that had already landed.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { insertRows } from '@cs/clickhouse';
import type { ConsumedMessage, Producer } from '@cs/kafka';
import { counter, gauge, type Logger, type TimeRules } from '@cs/runtime';
import { checkFuture, decodeEvent } from '@cs/schemas';
import type { Buckets } from '../buckets.ts';
import { rawRow } from './raw-row.ts';
import { flushToken, type FlushIntent, type LogStore, type PartitionRef } from './log-store.ts';
import { FlushOutputs } from './outputs.ts';
import type { TrackedState } from './state.ts';
import type { StepContext, StepResult, TopicLogic } from './types.ts';

const stepResults = counter('cs_processor_events_total', 'Events processed, by topic and result (ok, drop, dead_letter) and reason', ['topic', 'result', 'reason']);
const flushes = counter('cs_processor_flushes_total', 'Flushes written, by topic and kind', ['topic', 'kind']);
const streamTimeGauge = gauge('cs_processor_stream_time_seconds', 'Stream time of a partition (largest event_time processed, or where an idle flush advanced it), epoch seconds', ['topic', 'partition']);
const visibleGauge = gauge('cs_processor_last_flush_visible_seconds', 'Wall time at which the last flush of a partition was acknowledged by ClickHouse (its rows queryable), epoch seconds', ['topic', 'partition']);

export interface PartitionDeps {
  client: ClickHouseClient;
  db: string;
  log: LogStore;
  logger: Logger;
  rules: TimeRules;
  buckets: Buckets;
  logic: TopicLogic;
  /** Producer for the dead-letter topic. */
  deadLetterProducer: Producer | null;
  deadLetterTopic: string;
  snapshotEvery: number;
  /** CS_TOPIC_PREFIX, written into the watermarks so cs.settled reads one pipeline's. */
  topicPrefix: string;
  /** Partitions of a Kafka topic (0 while unknown): cs.settled counts a metric final only when every partition reported. */
  partitionsOf(topic: string): number;
}

interface Meta {
  seq: number;
  nextOffset: number;
  streamTime: number | null;
}

const META = '__meta';

export class PartitionTask {
  private buffer: ConsumedMessage[] = [];
  private firstBufferedAt = 0;
  lastMessageAt = Date.now();
  lastIdleFlushAt = 0;
  private pending: FlushIntent | null = null;
  private flushing: Promise<number | null> | null = null;
  private flushesSinceSnapshot = 0;

  private constructor(
    readonly ref: PartitionRef,
    private readonly deps: PartitionDeps,
    private readonly state: TrackedState,
    pending: FlushIntent | null,
  ) {
    this.pending = pending;
  }

  static async restore(ref: PartitionRef, deps: PartitionDeps): Promise<PartitionTask> {
    const restored = await deps.log.restore(ref);
    const task = new PartitionTask(ref, deps, restored.state, restored.pending);
    deps.logger.info({ ...ref, seq: restored.seq, nextOffset: task.meta().nextOffset, keys: restored.state.size, redo: restored.pending }, 'partition restored');
    return task;
  }

  private meta(): Meta {
    return this.state.get<Meta>(META) ?? { seq: 0, nextOffset: 0, streamTime: null };
  }

  /** The next offset to process (everything below is in ClickHouse). */
  get nextOffset(): number {
    return this.meta().nextOffset;
  }

  get bufferedCount(): number {
    return this.buffer.length;
  }

  get bufferAgeMs(): number {
    return this.buffer.length ? Date.now() - this.firstBufferedAt : 0;
  }

  /** The partition's stream time (null before its first event or idle advance). */
  get streamTime(): number | null {
    return this.meta().streamTime;
  }

  /** Buffers the messages not yet processed (a re-delivered prefix is skipped). */
  add(messages: ConsumedMessage[]): void {
    const next = this.meta().nextOffset;
    const lastBuffered = this.buffer.length ? Number(this.buffer[this.buffer.length - 1]!.offset) : next - 1;
    for (const m of messages) {
      const offset = Number(m.offset);
      if (offset < next || offset <= lastBuffered) continue;
      if (!this.buffer.length) this.firstBufferedAt = Date.now();
      this.buffer.push(m);
    }
    if (messages.length) this.lastMessageAt = Date.now();
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
   * Flushes the buffer (or redoes the pending intent). Resolves with the offset to commit,
   * or null when there was nothing to write.
   */
  flush(advanceTo: number | null = null): Promise<number | null> {
    this.flushing ??= this.doFlush(advanceTo).finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async doFlush(advanceTo: number | null): Promise<number | null> {
    let intent: FlushIntent;
    let messages: ConsumedMessage[];
    const meta = this.meta();
    if (this.pending) {
      if (!this.redoReady) return null;
      intent = this.pending;
      const cut = this.buffer.findIndex((m) => Number(m.offset) >= intent.to);
      messages = cut < 0 ? this.buffer : this.buffer.slice(0, cut);
      this.buffer = cut < 0 ? [] : this.buffer.slice(cut);
      this.deps.logger.warn({ ...this.ref, intent }, 'redoing an unfinished flush');
    } else {
      if (!this.buffer.length && advanceTo === null) return null;
      // During a rebalance the previous owner may still be finishing a flush of this partition:
      // if it already wrote the next intent, redo exactly that one instead of a different one.
      const taken = await this.deps.log.intentAt(this.ref, meta.seq + 1);
      if (taken) {
        this.pending = taken;
        return this.doFlush(advanceTo);
      }
      messages = this.buffer;
      this.buffer = [];
      const last = messages[messages.length - 1];
      intent = { seq: meta.seq + 1, from: meta.nextOffset, to: last ? Number(last.offset) + 1 : meta.nextOffset, wallTime: Date.now(), advanceTo };
      await this.deps.log.writeIntent(this.ref, intent);
    }
    if (this.buffer.length) this.firstBufferedAt = Date.now();

    const outputs = this.process(messages, intent);
    await this.write(intent, outputs);
    const labels = { topic: this.ref.topic, partition: this.ref.partition };
    visibleGauge.set(labels, Date.now() / 1000);
    await this.deps.log.writeDone(this.ref, intent, this.state.takeDelta());
    this.pending = null;
    flushes.inc({ topic: this.ref.topic, kind: intent.advanceTo !== null ? 'idle' : 'batch' });
    const streamTime = this.meta().streamTime;
    if (streamTime !== null) streamTimeGauge.set(labels, streamTime / 1000);
    if (++this.flushesSinceSnapshot >= this.deps.snapshotEvery) await this.writeSnapshot(intent.seq);
    if (intent.advanceTo !== null) this.lastIdleFlushAt = Date.now();
    return intent.to;
  }

  private async writeSnapshot(seq: number): Promise<void> {
    await this.deps.log.writeSnapshot(this.ref, seq, this.state);
    this.flushesSinceSnapshot = 0;
  }

  /**
   * Snapshots a partition that went quiet with flushes since its last snapshot, so its restore
   * never depends on log rows old enough to have expired (processor_log keeps 3 days).
   */
  snapshotIfBehind(): Promise<void> {
    if (this.flushesSinceSnapshot === 0 || this.flushing || this.pending) return Promise.resolve();
    const seq = this.meta().seq;
    const run = this.writeSnapshot(seq).then(() => null);
    this.flushing = run.finally(() => {
      this.flushing = null;
    });
    return run.then(() => undefined);
  }

  private process(messages: ConsumedMessage[], intent: FlushIntent): FlushOutputs {
    const { rules, logic, buckets } = this.deps;
    const out = new FlushOutputs(buckets, intent.wallTime, intent.seq);
    const meta = this.meta();
    const ctx: StepContext = { topic: logic.topic, kafkaTopic: this.ref.topic, partition: this.ref.partition, rules, state: this.state, emit: out, streamTime: meta.streamTime ?? 0, horizon: -Infinity };
    for (const msg of messages) {
      let result: StepResult;
      try {
        result = this.step(msg, meta, ctx, intent.wallTime);
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
    this.state.set(META, { ...meta, seq: intent.seq, nextOffset: intent.to } satisfies Meta);
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

  private step(msg: ConsumedMessage, meta: Meta, ctx: StepContext, wallTime: number): StepResult {
    const out = ctx.emit;
    if (!msg.value) {
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
    ctx.streamTime = meta.streamTime;
    ctx.horizon = meta.streamTime - lateness;
    const result = this.deps.logic.onEvent(ctx, event, msg);
    if (result.kind === 'ok') out.row(this.deps.logic.rawTable, rawRow(event, msg));
    else if (result.kind === 'dead_letter') out.deadLetter(msg, result.reason, result.detail, event);
    return result;
  }

  /** One insert per table, each with a token naming this flush, so a redo is dropped as a duplicate. */
  private async write(intent: FlushIntent, out: FlushOutputs): Promise<void> {
    const { client, db } = this.deps;
    const tables = new Map([...out.tableRows(), ...out.metricRows()]);
    if (out.deadLetters.length) tables.set('dead_letters', out.deadLetters as unknown as Record<string, unknown>[]);
    const writes = [...tables].map(([table, rows]) => insertRows(client, `${db}.${table}`, rows, { dedupToken: flushToken(this.ref, intent.seq, table) }));
    if (out.deadLetters.length && this.deps.deadLetterProducer) {
      writes.push(this.deps.deadLetterProducer.send(out.deadLetters.map((d) => ({ topic: this.deps.deadLetterTopic, key: d.key, value: Buffer.from(JSON.stringify(d)) }))));
    }
    await Promise.all(writes);
  }
}
