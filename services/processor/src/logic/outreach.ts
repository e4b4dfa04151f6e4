/**
 * Proactive outreach (SPEC §3, §6), live (SPEC §4): a CONTACTED is retained when the first RETAINED
 * or CHURNED of the same user (any product) with event_time in [CONTACTED, CONTACTED +
 * CS_RETENTION_WINDOW] (inclusive both ends; ties by event_id) is RETAINED.
 *
 * An outcome decides at once: `outreach_retention_rate` gets 1 in its denominator (and 1 in its
 * numerator if retained) in the buckets of the CONTACTED, and an `outreach_outcomes` row is written.
 * An earlier outcome arriving later (within the allowed lateness) replaces it: the old decision is
 * retracted. With no outcome the outreach is decided (not retained) when the horizon passes the
 * window end. It is final once the horizon passes its decisive instant (the first outcome, or the
 * window end): no event can change it any more.
 *
 * State, one key per user (`o:<user_id>`), plus the `d:` keys of dedup.ts:
 *   open      CONTACTED events not final yet, with what each counts now
 *   outcomes  RETAINED / CHURNED kept while they can still decide something (until the horizon
 *             passes them: nothing older can arrive)
 *   filed     the `outreach-due` bucket (hours) the user is filed under for its next due instant
 * and `outreach-open`: the CONTACTED hours of the open outreaches, bounding where figures are final.
 */
import type { ConsumedMessage } from '@cs/kafka';
import type { OutreachEvent } from '@cs/schemas';
import { TABLES, type OutreachOutcomeRow } from '@cs/storage';
import type { Dimensions, Settled, StepContext, StepResult, TopicLogic } from '../engine/types.ts';
import { forgetSeenBefore, seenBefore } from './dedup.ts';
import { DueIndex } from './due-index.ts';
import { OpenTimes } from './open-times.ts';

export const OUTREACH_METRIC = 'outreach_retention_rate';
export const OUTREACH_TABLE = TABLES.outreachOutcomes;
export const OUTREACH_PREFIX = 'o:';

const HOUR = 3_600_000;
const DUE = new DueIndex('outreach-due', HOUR);
const OPEN = new OpenTimes('outreach-open', HOUR);

/** A CONTACTED not final yet (JSON-serialisable). */
export interface OpenOutreach {
  /** event_id of the CONTACTED (the tie-breaker and idempotency key). */
  id: string;
  outreach_id: string;
  t: number;
  business_unit: string;
  product: string;
  channel: string;
  campaign: string;
  /** Counted now: 1 retained, 0 not retained, null undecided. */
  counted: 0 | 1 | null;
}

export interface OutcomeRecord {
  id: string;
  t: number;
  retained: boolean;
}

export interface OutreachUserState {
  open: OpenOutreach[];
  outcomes: OutcomeRecord[];
  filed: number | null;
}

export const outreachKey = (userId: string) => `${OUTREACH_PREFIX}${userId}`;

const before = (t1: number, id1: string, t2: number, id2: string) => t1 < t2 || (t1 === t2 && id1 < id2);

/** The first outcome in [o.t, o.t + window] (ties by event_id), or null. */
export function firstOutcome(o: { t: number }, outcomes: readonly OutcomeRecord[], windowMs: number): OutcomeRecord | null {
  let first: OutcomeRecord | null = null;
  const end = o.t + windowMs;
  for (const x of outcomes) {
    if (x.t < o.t || x.t > end) continue;
    if (!first || before(x.t, x.id, first.t, first.id)) first = x;
  }
  return first;
}

const dimsOf = (o: OpenOutreach): Dimensions => ({ business_unit: o.business_unit, product: o.product, channel: o.channel });

/**
 * Counts `o` as its first outcome (or, once the window ended, its absence) decides it now,
 * retracting what it counted before, and writes its row. Returns whether it is final.
 */
function recount(ctx: StepContext, userId: string, o: OpenOutreach, outcomes: readonly OutcomeRecord[]): boolean {
  const windowMs = ctx.rules.retentionWindowMs;
  const first = firstOutcome(o, outcomes, windowMs);
  const decisive = first ? first.t : o.t + windowMs;
  const final = decisive < ctx.horizon;
  const now: 0 | 1 | null = first ? (first.retained ? 1 : 0) : final ? 0 : null;
  if (now !== o.counted) {
    if (o.counted !== null) ctx.emit.metric(OUTREACH_METRIC, o.t, dimsOf(o), -o.counted, -1);
    if (now !== null) ctx.emit.metric(OUTREACH_METRIC, o.t, dimsOf(o), now, 1);
    o.counted = now;
  }
  if (now !== null || final) {
    ctx.emit.upsert(OUTREACH_TABLE, o.outreach_id, {
      outreach_id: o.outreach_id,
      user_id: userId,
      business_unit: o.business_unit,
      product: o.product,
      channel: o.channel,
      campaign: o.campaign,
      contacted_at: o.t,
      outcome: first ? (first.retained ? 'RETAINED' : 'CHURNED') : 'NONE',
      outcome_at: first ? first.t : null,
      retained: now === 1,
      final,
    } satisfies Omit<OutreachOutcomeRow, 'version'>);
  }
  return final;
}

/**
 * Recounts the user's open outreaches `which` and forgets the final ones; with `all`, every one is
 * recounted and outcomes nothing can need are forgotten. Files and writes the user.
 */
function settleUser(ctx: StepContext, userId: string, s: OutreachUserState, which: ((o: OpenOutreach) => boolean) | 'all'): void {
  const windowMs = ctx.rules.retentionWindowMs;
  const open: OpenOutreach[] = [];
  for (const o of s.open) {
    if ((which === 'all' || which(o)) && recount(ctx, userId, o, s.outcomes)) OPEN.remove(ctx.state, o.t);
    else open.push(o);
  }
  // After a recount of all, every open outreach left has no known outcome before the horizon, so an
  // outcome below it can serve no one: neither them nor a CONTACTED still to come (it would be late).
  const outcomes = which === 'all' ? s.outcomes.filter((x) => x.t >= ctx.horizon) : s.outcomes;
  const k = outreachKey(userId);
  if (!open.length && !outcomes.length) {
    ctx.state.delete(k);
    return;
  }
  let wake: number | null = null;
  for (const o of open) {
    const decisive = firstOutcome(o, outcomes, windowMs)?.t ?? o.t + windowMs;
    if (wake === null || decisive < wake) wake = decisive;
  }
  for (const x of outcomes) if (wake === null || x.t < wake) wake = x.t;
  const filed = DUE.schedule(ctx.state, userId, wake!, s.filed);
  ctx.state.set(k, { open, outcomes, filed } satisfies OutreachUserState);
}

export const outreachLogic: TopicLogic<OutreachEvent> = {
  topic: 'cs.outreach',
  rawTable: 'raw_outreach',
  metrics: [OUTREACH_METRIC],

  onEvent(ctx: StepContext, event: OutreachEvent, _msg: ConsumedMessage): StepResult {
    if (seenBefore(ctx.state, event.event_id, event.event_time)) return { kind: 'drop', why: 'duplicate' };
    const s = ctx.state.get<OutreachUserState>(outreachKey(event.user_id)) ?? { open: [], outcomes: [], filed: null };
    const t = event.event_time;
    if (event.type === 'CONTACTED') {
      const o: OpenOutreach = {
        id: event.event_id,
        outreach_id: event.outreach_id ?? event.event_id,
        t,
        business_unit: event.business_unit,
        product: event.product,
        channel: event.channel,
        campaign: event.campaign,
        counted: null,
      };
      OPEN.add(ctx.state, t);
      settleUser(ctx, event.user_id, { ...s, open: [...s.open, o] }, (x) => x === o);
      return { kind: 'ok' };
    }
    const x: OutcomeRecord = { id: event.event_id, t, retained: event.type === 'RETAINED' };
    const windowMs = ctx.rules.retentionWindowMs;
    settleUser(ctx, event.user_id, { ...s, outcomes: [...s.outcomes, x] }, (o) => o.t <= t && t <= o.t + windowMs);
    return { kind: 'ok' };
  },

  closeWindows(ctx: StepContext): void {
    DUE.takeDue(
      ctx.state,
      ctx.horizon,
      (userId) => ctx.state.get<OutreachUserState>(outreachKey(userId)),
      (s) => s.filed,
      (userId, s) => settleUser(ctx, userId, { ...s, filed: null }, 'all'),
    );
    forgetSeenBefore(ctx.state, ctx.horizon);
  },

  nextDue: (state) => DUE.firstStart(state),

  settled(ctx: StepContext): Settled {
    return { [OUTREACH_METRIC]: OPEN.earliest(ctx.state) ?? ctx.horizon };
  },
};
