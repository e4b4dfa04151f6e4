/**
 * Runs a TopicLogic in memory the way PartitionTask does (late check, stream time, closeWindows
 * at the end of each batch, a final idle close), without Kafka or ClickHouse. For unit tests.
 */
import type { ConsumedMessage } from '@cs/kafka';
import type { TimeRules } from '@cs/runtime';
import type { AnyEvent } from '@cs/schemas';
import { Buckets } from '../src/buckets.ts';
import { FlushOutputs } from '../src/engine/outputs.ts';
import { TrackedState } from '../src/engine/state.ts';
import type { StepContext, StepResult, TopicLogic } from '../src/engine/types.ts';

export const RULES: TimeRules = { timeZone: 'UTC', allowedLatenessMs: 3_600_000, idleFlushMs: 30_000, fcrWindowMs: 86_400_000, retentionWindowMs: 30 * 86_400_000, maxFutureMs: 3_600_000 };

export interface HarnessResult {
  /** Summed metric contributions: key `grain|bucketISO|metric|bu|product|channel` → [numerator, denominator]. */
  metrics: Map<string, [number, number]>;
  rows: Map<string, Record<string, unknown>[]>;
  deadLetters: { event_id: string | null; reason: string; detail: string }[];
  state: TrackedState;
}

/** The key of HarnessResult.metrics: `grain|bucketISO|metric|bu|product|channel` (bucket in epoch ms). */
export function metricKey(grain: string, bucket: number, metric: string, bu: string, product: string, channel: string): string {
  return `${grain}|${new Date(bucket).toISOString()}|${metric}|${bu}|${product}|${channel}`;
}

export function runLogic(logic: TopicLogic, batches: AnyEvent[][], opts: { rules?: Partial<TimeRules>; idleCloseAt?: number } = {}): HarnessResult {
  const rules = { ...RULES, ...opts.rules };
  const buckets = new Buckets(rules.timeZone);
  const state = new TrackedState();
  const result: HarnessResult = { metrics: new Map(), rows: new Map(), deadLetters: [], state };
  let streamTime: number | null = null;
  let offset = 0;
  const collect = (out: FlushOutputs) => {
    for (const [table, rows] of out.metricRows()) {
      const grain = table.replace('metric_sums_', '');
      for (const row of rows as { bucket: number; metric: string; business_unit: string; product: string; channel: string; numerator: number; denominator: number }[]) {
        const key = metricKey(grain, row.bucket * 1000, row.metric, row.business_unit, row.product, row.channel);
        const sum = result.metrics.get(key) ?? [0, 0];
        result.metrics.set(key, [sum[0] + row.numerator, sum[1] + row.denominator]);
      }
    }
    for (const [table, rows] of out.rows) result.rows.set(table, [...(result.rows.get(table) ?? []), ...rows]);
    for (const d of out.deadLetters) result.deadLetters.push({ event_id: d.event_id, reason: d.reason, detail: d.detail });
  };
  const runBatch = (events: AnyEvent[], idleAt?: number) => {
    const out = new FlushOutputs(buckets, 0);
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
    const streamHorizon = streamTime === null ? -Infinity : streamTime - rules.allowedLatenessMs;
    ctx.horizon = idleAt === undefined ? streamHorizon : Math.max(streamHorizon, idleAt);
    logic.closeWindows(ctx);
    collect(out);
  };
  for (const batch of batches) runBatch(batch);
  if (opts.idleCloseAt !== undefined) runBatch([], opts.idleCloseAt);
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

/** The logic with an idle flush's wall-clock horizon applied at the close after batch `i` (as PartitionTask does). */
export function withIdle(inner: TopicLogic, idles: Record<number, number>): TopicLogic {
  let batch = 0;
  return {
    ...inner,
    closeWindows(ctx) {
      const idle = idles[batch++];
      if (idle !== undefined) ctx.horizon = Math.max(ctx.horizon, idle);
      inner.closeWindows(ctx);
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

/** Dead letters as sorted `event_id|reason|detail` lines. */
export const deadLetterLines = (r: HarnessResult) => r.deadLetters.map((d) => `${d.event_id}|${d.reason}|${d.detail}`).sort();

/**
 * An arrival-order-free summary: metrics as sorted `key=numerator/denominator` (the numerator to
 * `digits` decimals if given: float sums may differ in the last bits with another summation
 * order) and dead letters as sorted `event_id:reason`.
 */
export function summarize(r: HarnessResult, digits?: number): { metrics: string[]; deadLetters: string[] } {
  const metrics = [...r.metrics].map(([k, [num, den]]) => `${k}=${digits === undefined ? num : num.toFixed(digits)}/${den}`).sort();
  return { metrics, deadLetters: r.deadLetters.map((d) => `${d.event_id}:${d.reason}`).sort() };
}
