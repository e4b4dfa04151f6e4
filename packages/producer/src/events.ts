/**
 * The topic → event map of the SDK: each topic takes exactly its own event type, so sending a call
 * event to `cs.sessions` is a compile error (test/typed-events.test.ts), not a dead letter.
 */
import type { EventByTopic, Topic } from '@cs/schemas';

/** Keys of E whose value may be null (Avro ["null", X] unions). */
type NullableKeys<E> = { [K in keyof E]-?: null extends E[K] ? K : never }[keyof E];

/**
 * What a producer writes for a topic: the event's fields, where the optional (nullable) ones may be
 * left out and `event_time` may be epoch milliseconds, an ISO-8601 date-time with zone, or a Date.
 */
export type EventInput<T extends Topic> = {
  [K in Exclude<keyof EventByTopic[T], NullableKeys<EventByTopic[T]> | 'event_time'>]: EventByTopic[T][K];
} & {
  [K in NullableKeys<EventByTopic[T]>]?: EventByTopic[T][K];
} & { event_time: number | string | Date };

/** A topic with an event of that topic's type (a discriminated union on `topic`). */
export type TopicEvent = { [T in Topic]: { topic: T; event: EventByTopic[T] } }[Topic];

/** What `send` takes: a topic with an input of that topic's type. */
export type TopicEventInput = { [T in Topic]: { topic: T; event: EventInput<T> } }[Topic];
