// Kafka message keys (SPEC §2): a user's contact, call, outreach and survey events share a
// partition so their history stays ordered; the other topics are keyed by their own entity.
import type { EventByTopic, Topic } from './types.ts';

export const KEY_FIELDS = {
  'cs.sessions': 'user_id',
  'cs.calls': 'user_id',
  'cs.surveys': 'user_id',
  'cs.complaints': 'complaint_id',
  'cs.outreach': 'user_id',
  'cs.agents': 'agent_id',
  'cs.qa': 'review_id',
} as const satisfies { [T in Topic]: keyof EventByTopic[T] & string };

export function messageKey<T extends Topic>(topic: T, event: EventByTopic[T]): string {
  const field: string = KEY_FIELDS[topic];
  const key = (event as unknown as Record<string, unknown>)[field];
  if (typeof key !== 'string') throw new Error(`${topic} event has no string ${field} to key by`);
  return key;
}
