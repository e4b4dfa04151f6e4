import type { Grain, MetricId } from '@cs/catalog';
import type { ConsumedMessage } from '@cs/kafka';
import type { TimeRules } from '@cs/runtime';
import type { AnyEvent, Topic } from '@cs/schemas';

export type DeadLetterReason = 'decode' | 'invalid' | 'late' | 'future' | 'orphan';

/** What one step did with one message: the typed result the counters are keyed by. */
export type StepResult = { kind: 'ok' } | { kind: 'drop'; why: 'duplicate' } | { kind: 'dead_letter'; reason: DeadLetterReason; detail: string };

export interface Dimensions {
  business_unit: string;
  product: string;
  channel: string;
}

/** Where a step's outputs go; collected per flush and written once per table. */
export interface Emitter {
  row(table: string, row: Record<string, unknown>): void;
  /**
   * A row that replaces the earlier rows of the same `key` (a ReplacingMergeTree table with a
   * `version` column): within a flush only the last one is written, and its version orders it after
   * every row of earlier flushes.
   */
  upsert(table: string, key: string, row: Record<string, unknown>): void;
  /** Adds to a metric's numerator/denominator in the buckets of `time` (all grains). Negative deltas retract. */
  metric(metricId: MetricId, time: number, dims: Dimensions, numerator: number, denominator: number): void;
  /** Adds to one grain's bucket only (for amounts split across buckets, e.g. staffed hours). */
  metricAt(grain: Grain, bucketStart: number, metricId: MetricId, dims: Dimensions, numerator: number, denominator: number): void;
  deadLetter(msg: ConsumedMessage, reason: DeadLetterReason, detail: string, event?: AnyEvent): void;
}

/** Keyed state of one partition; values must be JSON-serialisable. Writes are tracked for the log. */
export interface KeyedState {
  get<T>(key: string): T | undefined;
  set(key: string, value: unknown): void;
  delete(key: string): void;
  entries(prefix: string): IterableIterator<[string, unknown]>;
}

export interface StepContext {
  topic: Topic;
  /** The Kafka topic read (with CS_TOPIC_PREFIX): dead letters built from state name it. */
  kafkaTopic: string;
  partition: number;
  rules: TimeRules;
  state: KeyedState;
  emit: Emitter;
  /** Largest event_time seen on this partition (after the current event), or the instant an idle flush advanced it to. */
  streamTime: number;
  /**
   * Stream time − allowed lateness: no event older than this can still be accepted, so a window
   * that ends before it is closed and its figures are final.
   */
  horizon: number;
}

/**
 * Per metric, the instant before which no accepted or future event of this partition can change
 * that metric's contributions (SPEC §7 `final`). Metrics left out default to the horizon.
 */
export type Settled = Partial<Record<MetricId, number>>;

/** The per-topic part of a processor: how one valid, on-time event changes state and outputs. */
export interface TopicLogic<E extends AnyEvent = AnyEvent> {
  topic: Topic;
  /** Raw table that keeps every accepted event. */
  rawTable: string;
  /** The metrics this topic contributes to (numerators or denominators): one watermark each. */
  metrics: readonly MetricId[];
  /** Counts the event's contribution at once (live), retracting what it replaces. */
  onEvent(ctx: StepContext, event: E, msg: ConsumedMessage): StepResult;
  /** Runs at the end of every flush: closes the windows that end before ctx.horizon, settling their figures. */
  closeWindows(ctx: StepContext): void;
  /** Where this partition's figures are final (after closeWindows); the horizon for metrics left out. */
  settled(ctx: StepContext): Settled;
  /**
   * A lower bound of the horizon at which closeWindows next has work (null: none pending), read in
   * O(1): an idle flush that advances stream time is worth it only past it.
   */
  nextDue(state: KeyedState, rules: TimeRules): number | null;
}
