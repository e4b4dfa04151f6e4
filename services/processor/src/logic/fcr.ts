/**
 * First-contact resolution (SPEC §5): a contact is resolved when no other contact of the same
 * user_id and product starts after its start and no later than its end + CS_FCR_WINDOW. Decided
 * once the horizon passes end + window, when no such start can still arrive.
 *
 * State: `f:<user>\0<product>` holds the starts of that pair's contacts and the closed contacts
 * awaiting their decision; a DueIndex (`fcr-due`, minute buckets) files each pair under the minutes
 * its decisions are due, so a flush visits only the pairs with something to decide.
 */
import type { Dimensions, KeyedState, StepContext } from '../engine/types.ts';
import { DueIndex } from './due-index.ts';

interface Start {
  session: string;
  start: number;
  /** The contact is closed and decided: its start only matters to others. */
  done: boolean;
}

interface Pending {
  session: string;
  start: number;
  end: number;
  selfService: boolean;
  dims: Dimensions;
  row: Record<string, unknown>;
}

interface Pair {
  starts: Start[];
  pending: Pending[];
}

const MINUTE = 60_000;
const DUE = new DueIndex('fcr-due', MINUTE);
const pairKey = (user: string, product: string) => `f:${user}\u0000${product}`;

export function registerStart(state: KeyedState, user: string, product: string, session: string, start: number): void {
  const k = pairKey(user, product);
  const pair = state.get<Pair>(k) ?? { starts: [], pending: [] };
  state.set(k, { ...pair, starts: [...pair.starts, { session, start, done: false }] });
}

/** A closed contact now awaits its FCR decision, due at end + window. */
export function awaitDecision(ctx: StepContext, user: string, product: string, p: Pending): void {
  const k = pairKey(user, product);
  const pair = ctx.state.get<Pair>(k) ?? { starts: [], pending: [] };
  ctx.state.set(k, { ...pair, pending: [...pair.pending, p] });
  DUE.schedule(ctx.state, k, p.end + ctx.rules.fcrWindowMs, null);
}

/** The start of the earliest minute in which a decision is due (null when none is pending). */
export function earliestDecision(s: KeyedState): number | null {
  return DUE.earliest(s, (_k, bucket) => bucket * MINUTE);
}

/** Decides every contact whose FCR window ended before the horizon. */
export function decideDue(ctx: StepContext, decided: (p: Pending, resolved: boolean) => void): void {
  const window = ctx.rules.fcrWindowMs;
  // Pairs of the buckets now due, with those buckets: a pair's later decisions in one of them are filed again.
  const due = new Map<string, Set<number>>();
  for (const { bucket, ids } of DUE.take(ctx.state, ctx.horizon)) for (const k of ids) due.set(k, (due.get(k) ?? new Set()).add(bucket));
  for (const [k, buckets] of due) {
    const pair = ctx.state.get<Pair>(k);
    if (!pair) continue;
    const stillPending: Pending[] = [];
    const decidedNow = new Set<string>();
    for (const p of pair.pending) {
      if (p.end + window >= ctx.horizon) {
        stillPending.push(p);
        continue;
      }
      const repeat = pair.starts.some((s) => s.session !== p.session && s.start > p.start && s.start <= p.end + window);
      decided(p, !repeat);
      decidedNow.add(p.session);
    }
    for (const p of stillPending) if (buckets.has(Math.floor((p.end + window) / MINUTE))) DUE.schedule(ctx.state, k, p.end + window, null);
    const starts = pair.starts.map((s) => (decidedNow.has(s.session) ? { ...s, done: true } : s));
    // A start still matters while an undecided contact of the pair began before it, or while it is recent.
    const keepFrom = Math.min(ctx.horizon, ...starts.filter((s) => !s.done).map((s) => s.start), ...stillPending.map((p) => p.start));
    const kept = starts.filter((s) => !s.done || s.start >= keepFrom);
    if (kept.length === 0 && stillPending.length === 0) ctx.state.delete(k);
    else ctx.state.set(k, { starts: kept, pending: stillPending });
  }
}
