/**
 * First-contact resolution (SPEC §5): a contact is resolved when no other contact of the same
 * user_id and product starts after its start and no later than its end + CS_FCR_WINDOW. Decided
 * once the horizon passes end + window, when no such start can still arrive.
 *
 * State: `f:<user>\0<product>` holds the starts of that pair's contacts and the closed contacts
 * awaiting their decision; `fq:<minute>` indexes the pairs by the minute their next decision is
 * due, so a flush visits only the pairs with something to decide.
 */
import type { Dimensions, KeyedState, StepContext } from '../engine/types.ts';

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
const pairKey = (user: string, product: string) => `f:${user}\u0000${product}`;
const dueKey = (due: number) => `fq:${Math.floor(due / MINUTE)}`;

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
  const due = dueKey(p.end + ctx.rules.fcrWindowMs);
  ctx.state.set(due, [...(ctx.state.get<string[]>(due) ?? []), k]);
}

export function earliestDecision(s: KeyedState): number | null {
  let earliest: number | null = null;
  for (const [k] of s.entries('fq:')) {
    const at = Number(k.slice(3)) * MINUTE;
    if (earliest === null || at < earliest) earliest = at;
  }
  return earliest;
}

/** Decides every contact whose FCR window ended before the horizon. */
export function decideDue(ctx: StepContext, decided: (p: Pending, resolved: boolean) => void): void {
  const window = ctx.rules.fcrWindowMs;
  for (const [dk, keys] of [...ctx.state.entries('fq:')]) {
    // The index is by minute: a pair in it may hold decisions due later in that minute.
    if (Number(dk.slice(3)) * MINUTE >= ctx.horizon) continue;
    const later: string[] = [];
    for (const k of new Set(keys as string[])) {
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
      if (stillPending.some((p) => dueKey(p.end + window) === dk)) later.push(k);
      const starts = pair.starts.map((s) => (decidedNow.has(s.session) ? { ...s, done: true } : s));
      // A start still matters while an undecided contact of the pair began before it, or while it is recent.
      const keepFrom = Math.min(ctx.horizon, ...starts.filter((s) => !s.done).map((s) => s.start), ...stillPending.map((p) => p.start));
      const kept = starts.filter((s) => !s.done || s.start >= keepFrom);
      if (kept.length === 0 && stillPending.length === 0) ctx.state.delete(k);
      else ctx.state.set(k, { starts: kept, pending: stillPending });
    }
    if (later.length) ctx.state.set(dk, later);
    else ctx.state.delete(dk);
  }
}
