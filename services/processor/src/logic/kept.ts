/**
 * Helpers for logics that keep events in state until they are decided: ordering marks, dead
 * letters rebuilt from kept events, and metric corrections.
 */
import type { ConsumedMessage } from '@cs/kafka';
import type { MetricId } from '@cs/catalog';
import { encodeEvent, messageKey, type AnyEvent, type EventByTopic, type Topic } from '@cs/schemas';
import type { DeadLetterReason, Dimensions, StepContext } from '../engine/types.ts';

/** An accepted event kept in state until it is decided, with the offset it was read at. */
export interface Waiting<E> {
  event: E;
  offset: number;
}

/** Identity and order of a counted event: earliest event_time first, ties by event_id. */
export interface Mark {
  time: number;
  id: string;
}

export function precedes(a: Mark, b: Mark): boolean {
  return a.time < b.time || (a.time === b.time && a.id < b.id);
}

export const markOf = (e: { event_time: number; event_id: string }): Mark => ({ time: e.event_time, id: e.event_id });

export const byMark = <E extends { event_time: number; event_id: string }>(a: Waiting<E>, b: Waiting<E>): number =>
  a.event.event_time - b.event.event_time || (a.event.event_id < b.event.event_id ? -1 : a.event.event_id > b.event.event_id ? 1 : 0);

/**
 * Dead-letters an event kept in state, rebuilding its message: same topic, partition and offset,
 * the event re-encoded (it was valid Avro, so this gives its bytes back) and its key.
 */
export function deadLetterKept<T extends Topic>(ctx: StepContext, topic: T, kept: Waiting<EventByTopic[T]>, reason: DeadLetterReason, detail: string): void {
  const event = kept.event;
  let value: Buffer;
  try {
    value = encodeEvent(topic, event);
  } catch {
    value = Buffer.from(JSON.stringify(event));
  }
  let key: Buffer | null;
  try {
    key = Buffer.from(messageKey(topic, event));
  } catch {
    key = null;
  }
  const msg: ConsumedMessage = { topic: ctx.kafkaTopic, partition: ctx.partition, offset: String(kept.offset), key, value, timestamp: event.event_time };
  ctx.emit.deadLetter(msg, reason, detail, event as AnyEvent);
}

/** What an entity adds to the metric sums: per metric [numerator, denominator] at one time and dims. */
export interface Contribution {
  time: number;
  dims: Dimensions;
  values: Partial<Record<MetricId, [number, number]>>;
}

const sameDims = (a: Dimensions, b: Dimensions) => a.business_unit === b.business_unit && a.product === b.product && a.channel === b.channel;

/**
 * Emits what changes the sums from `before` to `after`: per-metric differences when both are
 * attributed to the same time and dims, else `before` retracted and `after` added. With no
 * `before`, `after` is emitted whole.
 */
export function emitChange(ctx: StepContext, before: Contribution | null, after: Contribution | null): void {
  if (before && after && before.time === after.time && sameDims(before.dims, after.dims)) {
    for (const m of new Set([...metricsOf(before), ...metricsOf(after)])) {
      const [n0, d0] = before.values[m] ?? [0, 0];
      const [n1, d1] = after.values[m] ?? [0, 0];
      if (n1 !== n0 || d1 !== d0) ctx.emit.metric(m, after.time, after.dims, n1 - n0, d1 - d0);
    }
    return;
  }
  if (before) for (const m of metricsOf(before)) ctx.emit.metric(m, before.time, before.dims, -before.values[m]![0], -before.values[m]![1]);
  if (after) for (const m of metricsOf(after)) ctx.emit.metric(m, after.time, after.dims, after.values[m]![0], after.values[m]![1]);
}

/** The metrics a contribution holds (its keys are metric ids). */
const metricsOf = (c: Contribution) => Object.keys(c.values) as MetricId[];
