import type { Grain } from '@cs/catalog';
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
  /** Adds to a metric's numerator/denominator in the buckets of `time` (all grains). */
  metric(metricId: string, time: number, dims: Dimensions, numerator: number, denominator: number): void;
  /** Adds to one grain's bucket only (for amounts split across buckets, e.g. staffed hours). */
  metricAt(grain: Grain, bucketStart: number, metricId: string, dims: Dimensions, numerator: number, denominator: number): void;
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
  /** Largest event_time seen on this partition (after the current event). */
  streamTime: number;
  /** Windows ending before this instant are closed (stream time − lateness, or the wall clock after an idle flush). */
  horizon: number;
}

/** The per-topic part of a processor: how one valid, on-time event changes state and outputs. */
export interface TopicLogic<E extends AnyEvent = AnyEvent> {
  topic: Topic;
  /** Raw table that keeps every accepted event. */
  rawTable: string;
  onEvent(ctx: StepContext, event: E, msg: ConsumedMessage): StepResult;
  /** Closes every window that ends before ctx.horizon, emitting its final facts. */
  closeWindows(ctx: StepContext): void;
  /** The earliest end of a window still open (null when none): an idle flush is worth it only past it. */
  earliestWindowEnd(state: KeyedState): number | null;
}
