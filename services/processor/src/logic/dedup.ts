/**
 * Redelivery detection by event_id for topics without per-entity event lists. Ids are kept in
 * per-minute buckets of their event_time (a redelivered event has the same event_time, so one
 * lookup suffices) and whole buckets are dropped once older than the horizon: an older
 * redelivery is late by stream time anyway.
 */
import type { KeyedState } from '../engine/types.ts';

const MINUTE = 60_000;
const key = (eventTime: number) => `d:${Math.floor(eventTime / MINUTE)}`;

/** True if `eventId` was seen before; otherwise remembers it and returns false. */
export function seenBefore(state: KeyedState, eventId: string, eventTime: number): boolean {
  const k = key(eventTime);
  const ids = state.get<string[]>(k) ?? [];
  if (ids.includes(eventId)) return true;
  // In place, as DueIndex does: a copy per event would cost the whole minute's ids each time.
  ids.push(eventId);
  state.set(k, ids);
  return false;
}

/** Forgets ids of events older than `horizon` minus one minute. */
export function forgetSeenBefore(state: KeyedState, horizon: number): void {
  const oldest = Math.floor(horizon / MINUTE) - 1;
  for (const [k] of state.entries('d:')) if (Number(k.slice(2)) < oldest) state.delete(k);
}
