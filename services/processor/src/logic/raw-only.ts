import type { AnyEvent, Topic } from '@cs/schemas';
import type { TopicLogic } from '../engine/types.ts';

/** Keeps a topic's valid, on-time events in its raw table; its metrics come with their own logic. */
export function rawOnlyLogic(topic: Topic, rawTable: string): TopicLogic<AnyEvent> {
  return {
    topic,
    rawTable,
    onEvent: () => ({ kind: 'ok' }),
    closeWindows: () => {},
    earliestWindowEnd: () => null,
  };
}
