/**
 * Runs a TopicLogic in memory the way PartitionTask does (late check, stream time, closeWindows
 * at the end of each batch, a final idle flush), without Kafka or ClickHouse. For unit tests.
 */
import type { ConsumedMessage } from '@cs/kafka';
import type { TimeRules } from '@cs/runtime';
import type { AnyEvent } from '@cs/schemas';
import { Buckets } from '../src/buckets.ts';
import { idleAdvanceTo } from '../src/engine/idle-advance.ts';
import { FlushOutputs } from '../src/engine/outputs.ts';
import { TrackedState } from './memory-state.ts';
import type { StepContext, StepResult, TopicLogic } from '../src/engine/types.ts';

export const RULES: TimeRules = { timeZone: 'UTC', allowedLatenessMs: 3_600_000, idleFlushMs: 30_000, fcrWindowMs: 86_400_000, retentionWindowMs: 30 * 86_400_000, maxFutureMs: 3_600_000 };

export interface HarnessResult {
  /** Summed metric contributions: key `grain|bucketISO|metric|bu|product|channel` → [numerator, denominator]. */
  metrics: Map<string, [number, number]>;
  rows: Map<string, Record<string, unknown>[]>;
  deadLetters: { event_id: string | null; reason: string; detail: string }[];
  state: TrackedState;
  /** The idle flushes of the close (`idleCloseAt`). */
  idleFlushes?: number;
}

/** The key of HarnessResult.metrics: `grain|bucketISO|metric|bu|product|channel` (bucket in epoch ms). */
export function metricKey(grain: string, bucket: number, metric: string, bu: string, product: string, channel: string): string {
  return `${grain}|${new Date(bucket).toISOString()}|${metric}|${bu}|${product}|${channel}`;
}

/**
 * `idleCloseAt: T` ends with an idle flush that closes every window up to T: it advances stream time
 * to T + allowed lateness, as PartitionTask's idle flush advances it (SPEC §4). With
 * `idleCloseStepMs`, in as many idle flushes as PartitionTask takes (idleAdvanceTo), counted in
 * `idleFlushes`.
 */
export function runLogic(logic: TopicLogic, batches: AnyEvent[][], opts: { rules?: Partial<TimeRules>; idleCloseAt?: number; idleCloseStepMs?: number } = {}): HarnessResult {
  const rules = { ...RULES, ...opts.rules };
  const buckets = new Buckets(rules.timeZone);
  const state = new TrackedState();
  const result: HarnessResult = { metrics: new Map(), rows: new Map(), deadLetters: [], state };
  let streamTime: number | null = null;
  let offset = 0;
  const collect = (out: FlushOutputs) => {
    for (const row of out.metricRows()) {
      const key = metricKey(row.grain, row.bucket * 1000, row.metric, row.business_unit, row.product, row.channel);
      const sum = result.metrics.get(key) ?? [0, 0];
      result.metrics.set(key, [sum[0] + row.numerator, sum[1] + row.denominator]);
    }
    for (const [table, rows] of out.tableRows()) result.rows.set(table, [...(result.rows.get(table) ?? []), ...rows]);
    for (const d of out.deadLetters) result.deadLetters.push({ event_id: d.event_id, reason: d.reason, detail: d.detail });
  };
  let seq = 0;
  const runBatch = (events: AnyEvent[], advanceTo?: number) => {
    const out = new FlushOutputs(buckets, 0, ++seq);
    const ctx: StepContext = { topic: logic.topic, kafkaTopic: logic.topic, partition: 0, rules, state, emit: out, streamTime: streamTime ?? 0, horizon: -Infinity };
    for (const event of events) {
      const msg: ConsumedMessage = { topic: logic.topic, partition: 0, offset: String(offset++), key: null, value: Buffer.from('x'), timestamp: 0 };
      if (streamTime !== null && event.event_time < streamTime - rules.allowedLatenessMs) {
        out.deadLetter(msg, 'late', 'older than stream time − lateness', event);
        continue;
      }
      streamTime = Math.max(streamTime ?? event.event_time, event.event_time);
      ctx.streamTime = streamTime;
      ctx.horizon = streamTime - rules.allowedLatenessMs;
      const r = logic.onEvent(ctx, event, msg);
      if (r.kind === 'dead_letter') out.deadLetter(msg, r.reason, r.detail, event);
    }
    if (advanceTo !== undefined && (streamTime === null || advanceTo > streamTime)) streamTime = advanceTo;
    if (streamTime !== null) {
      ctx.streamTime = streamTime;
      ctx.horizon = streamTime - rules.allowedLatenessMs;
      logic.closeWindows(ctx);
    }
    collect(out);
  };
  for (const batch of batches) runBatch(batch);
  if (opts.idleCloseAt !== undefined) {
    const target = opts.idleCloseAt + rules.allowedLatenessMs;
    const step = opts.idleCloseStepMs ?? Infinity;
    result.idleFlushes = 0;
    do {
      runBatch([], idleAdvanceTo(streamTime, target, logic.nextDue(state, rules), rules.allowedLatenessMs, step));
      result.idleFlushes++;
    } while (streamTime === null || streamTime < target);
  }
  return result;
}

/** Runs more batches on top of an earlier run's state (runLogic starts empty): copies it in at the first event. */
export function continueRun<E extends AnyEvent>(inner: TopicLogic<E>, prev: HarnessResult, batches: E[][]): HarnessResult {
  let seeded = false;
  const logic: TopicLogic<E> = {
    ...inner,
    onEvent(ctx, e, msg) {
      if (!seeded) for (const [k, v] of prev.state.entries('')) ctx.state.set(k, v);
      seeded = true;
      return inner.onEvent(ctx, e, msg);
    },
  };
  return runLogic(logic, batches);
}

/** The logic with its StepResults recorded: per event_id (in arrival order), and all in arrival order. */
export function recorded(inner: TopicLogic): { logic: TopicLogic; results: Map<string, StepResult[]>; sequence: StepResult[] } {
  const results = new Map<string, StepResult[]>();
  const sequence: StepResult[] = [];
  return {
    results,
    sequence,
    logic: {
      ...inner,
      onEvent(ctx, e, msg) {
        const r = inner.onEvent(ctx, e, msg);
        results.set(e.event_id, [...(results.get(e.event_id) ?? []), r]);
        sequence.push(r);
        return r;
      },
    },
  };
}

/**
 * Metric sums by key, sorted; all-zero entries left out unless `keepZeros`. `round` rounds to 1e-6
 * first (against float summation order).
 */
export function figures(r: HarnessResult, opts: { round?: boolean; keepZeros?: boolean } = {}): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  for (const [k, [num, den]] of [...r.metrics].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const v: [number, number] = opts.round ? [Math.round(num * 1e6) / 1e6, Math.round(den * 1e6) / 1e6] : [num, den];
    if (opts.keepZeros || v[0] !== 0 || v[1] !== 0) out[k] = v;
  }
  return out;
}

/** What `logic` reports as settled for a run's final state at `horizon` (stream time = horizon + lateness). */
export function settledAt(logic: TopicLogic, r: HarnessResult, horizon: number): Record<string, number | undefined> {
  const ctx: StepContext = { topic: logic.topic, kafkaTopic: logic.topic, partition: 0, rules: RULES, state: r.state, emit: new FlushOutputs(new Buckets('UTC'), 0), streamTime: horizon + RULES.allowedLatenessMs, horizon };
  return logic.settled(ctx);
}

/**
 * The rows of an upserted table as the table keeps them (ReplacingMergeTree): the last written per
 * `key` column, without `version`, in order of first appearance.
 */
export function latestRows(r: HarnessResult, table: string, key: string): Record<string, unknown>[] {
  const byKey = new Map<unknown, Record<string, unknown>>();
  for (const row of r.rows.get(table) ?? []) {
    const { version: _version, ...rest } = row;
    byKey.set(row[key], rest);
  }
  return [...byKey.values()];
}

/** Dead letters as sorted `event_id|reason|detail` lines. */
export const deadLetterLines = (r: HarnessResult) => r.deadLetters.map((d) => `${d.event_id}|${d.reason}|${d.detail}`).sort();

/**
 * An arrival-order-free summary: metrics as sorted `key=numerator/denominator` (the numerator to
 * `digits` decimals if given: float sums may differ in the last bits with another summation
 * order) and dead letters as sorted `event_id:reason`. Sums that net to 0/0 (a contribution and its
 * retraction) are left out: cs.metrics has no such row either.
 */
export function summarize(r: HarnessResult, digits?: number): { metrics: string[]; deadLetters: string[] } {
  const metrics = [...r.metrics]
    .filter(([, [num, den]]) => Math.abs(num) > 1e-9 || Math.abs(den) > 1e-9)
    .map(([k, [num, den]]) => `${k}=${digits === undefined ? num : num.toFixed(digits)}/${den}`)
    .sort();
  return { metrics, deadLetters: r.deadLetters.map((d) => `${d.event_id}:${d.reason}`).sort() };
}
