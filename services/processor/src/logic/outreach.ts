/**
 * Proactive outreach (SPEC §3, §6): a CONTACTED is retained when the first RETAINED or CHURNED of
 * the same user (any product) with event_time in [CONTACTED, CONTACTED + CS_RETENTION_WINDOW]
 * (inclusive both ends; ties by event_id) is RETAINED. It is decided once the horizon passes that
 * first outcome, or passes the window end with no outcome (not retained). Then
 * `outreach_retention_rate` gets 1 in its denominator (and 1 in its numerator if retained), in the
 * buckets of the CONTACTED, and one `outreach_outcomes` row is written.
 *
 * State, one key per user (`o:<user_id>`), plus the `d:` keys of dedup.ts:
 *   open      CONTACTED events not yet decided
 *   outcomes  RETAINED / CHURNED kept while they can still decide something: until the safe horizon
 *             (stream time − lateness, below which nothing can arrive) passes them
 *   decided   tombstones of outreaches decided early by an idle flush (horizon = wall clock, ahead of
 *             the safe horizon): an outcome arriving later that would have changed one is `late`
 *   due       earliest instant a horizon passing it decides an open outreach (null: none open)
 *   wake      earliest instant a horizon passing it gives closeWindows anything to do (≤ due)
 * In steady state (no idle flush) `decided` stays empty and outcomes live about one lateness.
 */
import type { ConsumedMessage } from '@cs/kafka';
import type { OutreachEvent } from '@cs/schemas';
import type { Dimensions, StepContext, StepResult, TopicLogic } from '../engine/types.ts';
import { forgetSeenBefore, seenBefore } from './dedup.ts';
import { safeHorizon } from './kept.ts';

export const OUTREACH_METRIC = 'outreach_retention_rate';
export const OUTREACH_TABLE = 'outreach_outcomes';
export const OUTREACH_PREFIX = 'o:';

/** An undecided CONTACTED (JSON-serialisable). */
export interface OpenOutreach {
  /** event_id of the CONTACTED (the tie-breaker and idempotency key). */
  id: string;
  outreach_id: string;
  t: number;
  business_unit: string;
  product: string;
  channel: string;
  campaign: string;
}

export interface OutcomeRecord {
  id: string;
  t: number;
  retained: boolean;
}

/**
 * An outreach decided while outcomes before its decisive instant could still arrive (only after an
 * idle flush): an outcome (t, id) with t ≥ c that sorts before (f, fid) would have changed it.
 * fid = null: decided by the window elapsing, so any outcome with c ≤ t ≤ f would have changed it.
 */
export interface DecidedTombstone {
  c: number;
  f: number;
  fid: string | null;
}

export interface OutreachUserState {
  open: OpenOutreach[];
  outcomes: OutcomeRecord[];
  decided: DecidedTombstone[];
  /** Earliest instant a horizon passing it decides an open outreach (null: none open). */
  due: number | null;
  /** Earliest instant a horizon passing it gives closeWindows work for this user: a decision or clean-up. */
  wake: number | null;
}

export type OutreachOutcome = 'RETAINED' | 'CHURNED' | 'NONE';

/** One row of `outreach_outcomes`. */
export interface OutreachOutcomeRow {
  outreach_id: string;
  user_id: string;
  business_unit: string;
  product: string;
  channel: string;
  campaign: string;
  /** epoch ms */
  contacted_at: number;
  outcome: OutreachOutcome;
  /** epoch ms, null when outcome = 'NONE' */
  outcome_at: number | null;
  retained: boolean;
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

/** The instant at which a horizon passing it decides `o` with what is known now. */
function decisionInstant(o: OpenOutreach, outcomes: readonly OutcomeRecord[], windowMs: number): number {
  return firstOutcome(o, outcomes, windowMs)?.t ?? o.t + windowMs;
}

const minOf = (values: Iterable<number>): number | null => {
  let min: number | null = null;
  for (const v of values) if (min === null || v < min) min = v;
  return min;
};

type UserLists = Omit<OutreachUserState, 'due' | 'wake'>;

function save(ctx: StepContext, userId: string, s: UserLists): void {
  if (!s.open.length && !s.outcomes.length && !s.decided.length) {
    ctx.state.delete(outreachKey(userId));
    return;
  }
  const windowMs = ctx.rules.retentionWindowMs;
  const due = minOf(s.open.map((o) => decisionInstant(o, s.outcomes, windowMs)));
  const wake = minOf([...(due === null ? [] : [due]), ...s.outcomes.map((x) => x.t), ...s.decided.map((d) => d.f)]);
  ctx.state.set(outreachKey(userId), { ...s, due, wake } satisfies OutreachUserState);
}

const dimsOf = (o: OpenOutreach): Dimensions => ({ business_unit: o.business_unit, product: o.product, channel: o.channel });

export const outreachLogic: TopicLogic<OutreachEvent> = {
  topic: 'cs.outreach',
  rawTable: 'raw_outreach',

  onEvent(ctx: StepContext, event: OutreachEvent, _msg: ConsumedMessage): StepResult {
    if (seenBefore(ctx.state, event.event_id, event.event_time)) return { kind: 'drop', why: 'duplicate' };
    const s = ctx.state.get<OutreachUserState>(outreachKey(event.user_id)) ?? { open: [], outcomes: [], decided: [], due: null, wake: null };
    if (event.type === 'CONTACTED') {
      const o: OpenOutreach = {
        id: event.event_id,
        outreach_id: event.outreach_id ?? event.event_id,
        t: event.event_time,
        business_unit: event.business_unit,
        product: event.product,
        channel: event.channel,
        campaign: event.campaign,
      };
      save(ctx, event.user_id, { open: [...s.open, o], outcomes: s.outcomes, decided: s.decided });
      return { kind: 'ok' };
    }
    // Only after an idle flush decided ahead of the safe horizon: this outcome comes too late to change it.
    const t = event.event_time;
    const spoiled = s.decided.find((d) => t >= d.c && (d.fid === null ? t <= d.f : before(t, event.event_id, d.f, d.fid)));
    if (spoiled) {
      return { kind: 'dead_letter', reason: 'late', detail: `an outreach of user ${event.user_id} contacted at ${new Date(spoiled.c).toISOString()} was already decided` };
    }
    const x: OutcomeRecord = { id: event.event_id, t, retained: event.type === 'RETAINED' };
    save(ctx, event.user_id, { open: s.open, outcomes: [...s.outcomes, x], decided: s.decided });
    return { kind: 'ok' };
  },

  earliestWindowEnd(state): number | null {
    let earliest: number | null = null;
    for (const [, value] of state.entries(OUTREACH_PREFIX)) {
      const due = (value as OutreachUserState).due;
      if (due !== null && (earliest === null || due < earliest)) earliest = due;
    }
    return earliest;
  },

  closeWindows(ctx: StepContext): void {
    const windowMs = ctx.rules.retentionWindowMs;
    const horizon = ctx.horizon;
    const safe = safeHorizon(ctx);
    for (const [k, value] of ctx.state.entries(OUTREACH_PREFIX)) {
      const s = value as OutreachUserState;
      if (s.wake === null || s.wake >= horizon) continue;
      const userId = k.slice(OUTREACH_PREFIX.length);
      const open: OpenOutreach[] = [];
      const decided = s.decided.filter((d) => d.f >= safe);
      for (const o of s.open) {
        const first = firstOutcome(o, s.outcomes, windowMs);
        const end = o.t + windowMs;
        if (first ? first.t >= horizon : end >= horizon) {
          open.push(o);
          continue;
        }
        const retained = first?.retained ?? false;
        ctx.emit.metric(OUTREACH_METRIC, o.t, dimsOf(o), retained ? 1 : 0, 1);
        ctx.emit.row(OUTREACH_TABLE, {
          outreach_id: o.outreach_id,
          user_id: userId,
          business_unit: o.business_unit,
          product: o.product,
          channel: o.channel,
          campaign: o.campaign,
          contacted_at: o.t,
          outcome: first ? (first.retained ? 'RETAINED' : 'CHURNED') : 'NONE',
          outcome_at: first ? first.t : null,
          retained,
        } satisfies OutreachOutcomeRow);
        const tomb: DecidedTombstone = first ? { c: o.t, f: first.t, fid: first.id } : { c: o.t, f: end, fid: null };
        if (tomb.f >= safe) decided.push(tomb);
      }
      // Every open outreach left has no known outcome before the horizon, so an outcome below the
      // safe horizon can serve no one: neither them nor a CONTACTED still to come (it would be late).
      const outcomes = s.outcomes.filter((x) => x.t >= safe);
      save(ctx, userId, { open, outcomes, decided });
    }
    forgetSeenBefore(ctx.state, safe);
  },
};
