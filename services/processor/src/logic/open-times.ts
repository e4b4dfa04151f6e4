import type { KeyedState } from '../engine/types.ts';

/**
 * A multiset of instants kept in one state key as counts per bucket (`widthMs` wide): the
 * attribution times of entities whose contribution can still change (open contacts, undecided FCR,
 * open outreaches, calls in flight). Its earliest bucket bounds where a partition's figures are
 * final (TopicLogic.settled). Integer-like keys keep ascending order in a JS object, so the earliest
 * is the first key; a bucket is rounded down, so the bound errs on the safe side.
 */
export class OpenTimes {
  constructor(
    readonly key: string,
    readonly widthMs: number,
  ) {}

  add(state: KeyedState, time: number, n = 1): void {
    const counts = state.get<Record<string, number>>(this.key) ?? {};
    const b = String(Math.floor(time / this.widthMs));
    const left = (counts[b] ?? 0) + n;
    if (left > 0) {
      counts[b] = left;
      state.set(this.key, counts);
      return;
    }
    delete counts[b];
    for (const _ in counts) {
      state.set(this.key, counts);
      return;
    }
    state.delete(this.key);
  }

  remove(state: KeyedState, time: number): void {
    this.add(state, time, -1);
  }

  /** Moves one entity's time (its attribution moved, e.g. an earlier OFFERED). */
  move(state: KeyedState, from: number, to: number): void {
    if (Math.floor(from / this.widthMs) === Math.floor(to / this.widthMs)) return;
    this.remove(state, from);
    this.add(state, to);
  }

  /** The start of the earliest bucket holding an entity, or null. */
  earliest(state: KeyedState): number | null {
    const counts = state.get<Record<string, number>>(this.key);
    if (!counts) return null;
    for (const b in counts) return Number(b) * this.widthMs;
    return null;
  }
}

/** The smaller of two bounds where null means "no bound". */
export const minBound = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.min(a, b));
