/**
 * First-contact resolution (SPEC §5), live (SPEC §4): a contact is not resolved as soon as another
 * contact of the same user_id and product starts after its start and no later than its end +
 * CS_FCR_WINDOW; it is resolved once the horizon passes end + window with no such start. Until one
 * of the two, it is undecided and counts in neither fcr_rate nor self_service_resolution_rate.
 * A decision changes while the contact's own facts can (its end, whether it is self-service), so
 * the counted decision is kept and retracted when it changes; once the contact is closed and
 * decided it is final and forgotten.
 *
 * State: `f:<user>\0<product>` holds the starts of that pair's contacts and its ended contacts whose
 * decision is not final; a DueIndex (`fcr-due`, minute buckets) files each pair under the minute its
 * next closure decision is due, so a flush visits only the pairs with something to decide.
 */
import type { Dimensions, KeyedState, StepContext } from '../engine/types.ts';
import { DueIndex } from './due-index.ts';
import { OpenTimes } from './open-times.ts';

interface Start {
  session: string;
  start: number;
  /** The contact's decision is final: its start only matters to others. */
  done: boolean;
}

/** An ended contact as the FCR rule needs it. */
export interface EndedContact {
  session: string;
  start: number;
  end: number;
  selfService: boolean;
  dims: Dimensions;
}

interface Decidable extends EndedContact {
  /** Its window closed: end and self-service no longer change. */
  closed: boolean;
  /** Counted now: 1 resolved, 0 not resolved, null undecided. */
  counted: 0 | 1 | null;
  /** Whether `counted` is also in self_service_resolution_rate. */
  countedSelfService: boolean;
}

interface Pair {
  starts: Start[];
  contacts: Decidable[];
  /** The DUE bucket the pair is filed under (null: not filed). */
  filed: number | null;
}

const MINUTE = 60_000;
const DUE = new DueIndex('fcr-due', MINUTE);
/** Starts of the contacts whose FCR figure can still change: bounds where FCR figures are final. */
export const FCR_OPEN = new OpenTimes('fcr-open', 3_600_000);
const pairKey = (user: string, product: string) => `f:${user}\u0000${product}`;
const load = (state: KeyedState, k: string): Pair => state.get<Pair>(k) ?? { starts: [], contacts: [], filed: null };

const FCR_STATE = { 1: 'resolved', 0: 'not_resolved' } as const;

/** The decision the FCR rule gives `c` now. */
function decision(c: EndedContact, starts: readonly Start[], horizon: number, windowMs: number): 0 | 1 | null {
  const repeat = starts.some((s) => s.session !== c.session && s.start > c.start && s.start <= c.end + windowMs);
  if (repeat) return 0;
  return c.end + windowMs < horizon ? 1 : null;
}

/** Counts `c`'s decision as it stands, retracting the one counted before if it differs. */
function recount(ctx: StepContext, c: Decidable, starts: readonly Start[]): void {
  const now = decision(c, starts, ctx.horizon, ctx.rules.fcrWindowMs);
  if (now === c.counted && c.countedSelfService === (now !== null && c.selfService)) return;
  if (c.counted !== null) {
    ctx.emit.metric('fcr_rate', c.start, c.dims, -c.counted, -1);
    if (c.countedSelfService) ctx.emit.metric('self_service_resolution_rate', c.start, c.dims, -c.counted, -1);
  }
  if (now !== null) {
    ctx.emit.metric('fcr_rate', c.start, c.dims, now, 1);
    if (c.selfService) ctx.emit.metric('self_service_resolution_rate', c.start, c.dims, now, 1);
  }
  if (now !== c.counted) ctx.emit.upsert('contact_fcr', c.session, { session_id: c.session, start_time: c.start, fcr_state: now === null ? 'pending' : FCR_STATE[now] });
  c.counted = now;
  c.countedSelfService = now !== null && c.selfService;
}

/**
 * Recounts every contact of the pair, forgets the final ones (closed and decided), prunes starts
 * nothing can need, files the pair for its next closure decision and writes it.
 */
function settlePair(ctx: StepContext, k: string, pair: Pair): void {
  const window = ctx.rules.fcrWindowMs;
  const finalNow = new Set<string>();
  for (const c of pair.contacts) {
    recount(ctx, c, pair.starts);
    if (c.closed && c.counted !== null) finalNow.add(c.session);
  }
  for (const c of pair.contacts) if (finalNow.has(c.session)) FCR_OPEN.remove(ctx.state, c.start);
  const contacts = pair.contacts.filter((c) => !finalNow.has(c.session));
  const starts = pair.starts.map((s) => (finalNow.has(s.session) ? { ...s, done: true } : s));
  // A start still matters while a contact of the pair that is not final began before it, or while
  // it is recent (a contact yet to start or end may still need it).
  let keepFrom = ctx.horizon;
  for (const s of starts) if (!s.done && s.start < keepFrom) keepFrom = s.start;
  for (const c of contacts) if (c.start < keepFrom) keepFrom = c.start;
  const kept = starts.filter((s) => !s.done || s.start >= keepFrom);
  if (!kept.length && !contacts.length) {
    ctx.state.delete(k);
    return;
  }
  let due: number | null = null;
  for (const c of contacts) if (c.counted === null && (due === null || c.end + window < due)) due = c.end + window;
  let filed = pair.filed;
  if (due !== null) filed = DUE.schedule(ctx.state, k, due, filed);
  ctx.state.set(k, { starts: kept, contacts, filed } satisfies Pair);
}

/** A contact started: it may decide the pair's earlier contacts (not resolved). */
export function registerStart(ctx: StepContext, user: string, product: string, session: string, start: number): void {
  const k = pairKey(user, product);
  const pair = load(ctx.state, k);
  pair.starts = [...pair.starts, { session, start, done: false }];
  settlePair(ctx, k, pair);
}

/**
 * The contact's ended-contact facts as they stand (null: it is not ended any more, e.g. an earlier
 * event split it by inactivity); `closed` once its window closed and they are final.
 */
export function contactChanged(ctx: StepContext, user: string, product: string, session: string, facts: EndedContact | null, closed: boolean): void {
  const k = pairKey(user, product);
  const pair = load(ctx.state, k);
  const i = pair.contacts.findIndex((c) => c.session === session);
  const known = i >= 0 ? pair.contacts[i]! : null;
  if (!facts) {
    if (!known) return;
    const gone: Decidable = { ...known, closed: true };
    recountGone(ctx, gone);
    FCR_OPEN.remove(ctx.state, known.start);
    pair.contacts = pair.contacts.filter((_, j) => j !== i);
    settlePair(ctx, k, pair);
    return;
  }
  if (known) {
    pair.contacts[i] = { ...known, ...facts, closed };
  } else {
    FCR_OPEN.add(ctx.state, facts.start);
    pair.contacts = [...pair.contacts, { ...facts, closed, counted: null, countedSelfService: false }];
  }
  settlePair(ctx, k, pair);
}

/** Retracts the decision of a contact that no longer ends as it did. */
function recountGone(ctx: StepContext, c: Decidable): void {
  if (c.counted === null) return;
  ctx.emit.metric('fcr_rate', c.start, c.dims, -c.counted, -1);
  if (c.countedSelfService) ctx.emit.metric('self_service_resolution_rate', c.start, c.dims, -c.counted, -1);
  ctx.emit.upsert('contact_fcr', c.session, { session_id: c.session, start_time: c.start, fcr_state: 'pending' });
}

/** When a closure decision is next due (a lower bound; null: none). */
export const fcrNextDue = (state: KeyedState): number | null => DUE.firstStart(state);

/** Decides by closure every contact whose FCR window ended before the horizon. */
export function decideDue(ctx: StepContext): void {
  DUE.takeDue(
    ctx.state,
    ctx.horizon,
    (k) => ctx.state.get<Pair>(k),
    (pair) => pair.filed,
    (k, pair) => settlePair(ctx, k, { ...pair, filed: null }),
  );
}
