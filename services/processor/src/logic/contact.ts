/**
 * SPEC §5 in one pure function: which of a session's events form its contact, when it ends and
 * when its window closes. Independent of arrival order, so shuffled input gives the same contact.
 */
import type { SessionEvent } from '@cs/schemas';

export const INACTIVITY_MS = 30 * 60_000;

export interface Contact {
  start: SessionEvent | null;
  /** Events of the contact, STARTED first, in event-time order. */
  members: SessionEvent[];
  /** Events that are not part of it: before its start, or after its end. */
  before: SessionEvent[];
  after: SessionEvent[];
  end: number;
  endedBy: 'ENDED' | 'inactivity';
  /** The window closes once the horizon passes this instant. */
  windowEnd: number;
}

const rank = (e: SessionEvent) => (e.type === 'STARTED' ? 0 : 1);

export function byEventTime(a: SessionEvent, b: SessionEvent): number {
  return a.event_time - b.event_time || rank(a) - rank(b) || (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0);
}

/** `inOrder`: the events are already in byEventTime order (the sessions logic keeps them so). */
export function contactOf(events: readonly SessionEvent[], inOrder = false): Contact {
  const sorted = inOrder ? events : [...events].sort(byEventTime);
  const startIndex = sorted.findIndex((e) => e.type === 'STARTED');
  if (startIndex < 0) {
    const last = sorted[sorted.length - 1]?.event_time ?? 0;
    return { start: null, members: [], before: [...sorted], after: [], end: last, endedBy: 'inactivity', windowEnd: last };
  }
  const start = sorted[startIndex]!;
  const before: SessionEvent[] = [];
  const rest: SessionEvent[] = [];
  for (let i = 0; i < sorted.length; i++) if (i !== startIndex) (sorted[i]!.event_time < start.event_time ? before : rest).push(sorted[i]!);
  const members: SessionEvent[] = [start];
  let last = start.event_time;
  for (let i = 0; i < rest.length; i++) {
    const e = rest[i]!;
    if (e.event_time - last > INACTIVITY_MS) {
      return { start, members, before, after: rest.slice(i), end: last, endedBy: 'inactivity', windowEnd: last + INACTIVITY_MS };
    }
    members.push(e);
    last = e.event_time;
    if (e.type === 'ENDED') {
      // Events at the same instant as ENDED still belong to the contact.
      let j = i + 1;
      while (j < rest.length && rest[j]!.event_time === e.event_time) members.push(rest[j++]!);
      return { start, members, before, after: rest.slice(j), end: e.event_time, endedBy: 'ENDED', windowEnd: e.event_time };
    }
  }
  return { start, members, before, after: [], end: last, endedBy: 'inactivity', windowEnd: last + INACTIVITY_MS };
}
