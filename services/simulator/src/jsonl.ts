import type { TopicEvent } from './generator.ts';

/**
 * One JSONL line `{"topic":"cs.sessions",...event fields}` — the format `npm run replay` reads.
 * Built without copying the event (hot path of history mode).
 */
export function toJsonLine({ topic, event }: TopicEvent): string {
  return `{"topic":"${topic}",${JSON.stringify(event).slice(1)}\n`;
}
