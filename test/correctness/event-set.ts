/**
 * The correctness event set: a simulated day (all seven topics, duplicates, shuffled within the
 * allowed lateness) merged with the hand-made edge cases, plus events that are too late.
 */
import type { TopicEvent } from '@cs/producer';
import { createTrafficGenerator } from '@cs/simulator';
import { edgeCases } from './edge-cases.ts';

export const TZ = 'Asia/Shanghai';
export const FCR_WINDOW_MS = 86_400_000;
export const RETENTION_WINDOW_MS = 30 * 86_400_000;
export const LATENESS_MS = 3_600_000;
/** Local midnight, 1 September 2026 in Asia/Shanghai: old enough for day-31 outreach outcomes. */
export const DAY_START = Date.parse('2026-08-31T16:00:00Z');

export type { TopicEvent };

/** `extra`: more hand-made events, merged by event time like the edge cases. */
export function buildEventSet(contactsPerDay = 12_000, extra: TopicEvent[] = []): TopicEvent[] {
  const simulated = createTrafficGenerator({ seed: 42, start: DAY_START, end: DAY_START + 86_400_000, contactsPerDay, timeZone: TZ, duplicateRate: 0.01, disorderMs: 10 * 60_000, products: 12 });
  const all: TopicEvent[] = [...simulated, ...edgeCases(DAY_START, FCR_WINDOW_MS, RETENTION_WINDOW_MS), ...extra];
  // Stable merge by event time, keeping the simulator's within-lateness disorder.
  const ordered = all.map((e, i) => ({ e, i, t: e.event.event_time })).sort((a, b) => a.t - b.t || a.i - b.i).map((x) => x.e);
  // Too late: copies (new ids) of a few session events, sent once their partition is 2 h past them.
  const late: TopicEvent[] = [];
  for (let i = 5000; i < ordered.length && late.length < 20; i += 2000) {
    const x = ordered[i]!;
    if (x.topic !== 'cs.sessions') continue;
    late.push({ topic: x.topic, event: { ...x.event, event_id: `late-${i}`, event_time: x.event.event_time - 2 * LATENESS_MS } });
    ordered.splice(i + 1, 0, late[late.length - 1]!);
  }
  return ordered;
}
