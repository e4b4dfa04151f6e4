import { createTrafficGenerator, type SimOptions, type TopicEvent } from '../src/generator.ts';

/** 2025-03-04 00:00 UTC, a Tuesday. */
export const DAY0 = Date.UTC(2025, 2, 4);
export const DAY_MS = 86_400_000;

export function collect(opts: SimOptions): TopicEvent[] {
  return [...createTrafficGenerator(opts)];
}

/** Stable digest of a stream (FNV-1a over the JSON of every event). */
export function digest(events: Iterable<TopicEvent>): string {
  let h = 0x811c9dc5;
  let n = 0;
  for (const e of events) {
    const s = `${e.topic}${JSON.stringify(e.event)}`;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    n++;
  }
  return `${n}:${(h >>> 0).toString(16)}`;
}
