/**
 * Calls (SPEC §3, §6): human_answer_rate, service_level_20s, abandon_rate, human_aht_seconds.
 *
 * A call is counted from its OFFERED; every call metric goes to the OFFERED's event_time and to
 * (business_unit, product) of the OFFERED with channel HOTLINE. Of each type (OFFERED, ANSWERED,
 * ABANDONED, ENDED) one event counts: the first in event time (ties: smaller event_id), so shuffled
 * arrival gives the same figures. An event that is not the first of its type is dropped as
 * `duplicate`; if one arrives that precedes the counted one, it takes its place and the metrics are
 * corrected by emitting the difference (the sums are additive, so a correction is a negative delta).
 *
 *   OFFERED    denominator +1 of human_answer_rate, service_level_20s, abandon_rate
 *   ANSWERED   human_answer_rate +1; service_level_20s +1 when wait_ms ≤ 20000 (null: not within)
 *   ABANDONED  abandon_rate +1
 *   ANSWERED and ENDED both present: human_aht_seconds += (talk+hold+acw)/1000 (nulls as 0), +1
 *
 * Events of a call without an OFFERED wait in its state (with their offset, so their dead letter
 * names the original message); once the horizon passes one of them with still no OFFERED it is
 * dead-lettered `orphan` and has contributed nothing. An OFFERED arriving while events wait takes
 * them in. A waiting event earlier in event time than the OFFERED that later arrives counts if it
 * is still waiting then (the events of one call normally follow its OFFERED).
 *
 * A call's state is forgotten once the horizon (stream time − allowed lateness) is 24 h past its
 * last event. An event for it after that is a new, OFFERED-less call: it waits and becomes an
 * `orphan`. Until then any of its figures can still change (a first ANSWERED, ENDED…), so the
 * OFFERED times of the calls in state bound where the partition's call figures are final.
 *
 * To keep results independent of flush boundaries, onEvent first does to the event's call what a
 * closeWindows at the current horizon would have done (orphans, expiry) before using its state.
 *
 * State (JSON):
 *   call:<call_id>        CallState
 *   call-orphans          sorted minute numbers that hold orphan timers; call-orphans:<minute> → call ids
 *   call-expiry           sorted minute numbers that hold expiry timers; call-expiry:<minute> → call ids
 *   call-open             OFFERED minutes of the calls in state (OpenTimes)
 * Timers let closeWindows touch only what is due instead of scanning every call (see DueIndex,
 * AnchoredEntities); minute buckets keep the per-flush state delta small (a bucket holds the calls
 * of one minute).
 */
import type { ConsumedMessage } from '@cs/kafka';
import type { CallEvent } from '@cs/schemas';
import type { Settled, StepContext, StepResult, TopicLogic } from '../engine/types.ts';
import { AnchoredEntities, type Anchored } from './anchored.ts';
import { DueIndex } from './due-index.ts';
import { emitChange, markOf, precedes, type Contribution, type Mark } from './kept.ts';
import { OpenTimes } from './open-times.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** A call's state is forgotten once the stream-time horizon is this far past its last event. */
export const CALL_EXPIRY_MS = DAY;
/** Service level threshold of service_level_20s (inclusive). */
export const SERVICE_LEVEL_MS = 20_000;

const OK: StepResult = { kind: 'ok' };
const DUPLICATE: StepResult = { kind: 'drop', why: 'duplicate' };

// ---- calls ---------------------------------------------------------------------------------------

/** Anchored: the events waiting for an OFFERED, and the call's timers in call-orphans / call-expiry. */
export interface CallState extends Anchored<CallEvent> {
  /** The counted OFFERED: attribution time and dims of every metric of the call. */
  offered: (Mark & { business_unit: string; product: string }) | null;
  answered: (Mark & { wait_ms: number | null }) | null;
  abandoned: Mark | null;
  /** handle_ms = talk_ms + hold_ms + acw_ms (nulls as 0). */
  ended: (Mark & { handle_ms: number }) | null;
  /** Latest event_time of any event of the call (expiry runs from it). */
  last: number;
}

export const CALL_PREFIX = 'call:';
export const callKey = (callId: string) => `${CALL_PREFIX}${callId}`;
const CALL_METRICS = ['human_answer_rate', 'service_level_20s', 'abandon_rate', 'human_aht_seconds'] as const;
const OPEN = new OpenTimes('call-open', MINUTE);
const CALLS = new AnchoredEntities({
  topic: 'cs.calls',
  key: callKey,
  orphans: new DueIndex('call-orphans', MINUTE),
  expiry: new DueIndex('call-expiry', MINUTE),
  orphanDetail: (id) => `call ${id} has no OFFERED`,
  expiresAt: (s: CallState) => (s.offered ? s.last + CALL_EXPIRY_MS : null),
  onExpired: (ctx, s: CallState) => OPEN.remove(ctx.state, s.offered!.time),
});

const newCall = (last: number): CallState => ({ offered: null, answered: null, abandoned: null, ended: null, last, waiting: [], orphanTimer: null, expiryTimer: null });

/** What a call adds to the sums (nothing without an OFFERED). */
export function callContribution(s: CallState): Contribution | null {
  const o = s.offered;
  if (!o) return null;
  const a = s.answered;
  const values: Record<string, [number, number]> = {
    human_answer_rate: [a ? 1 : 0, 1],
    service_level_20s: [a && a.wait_ms !== null && a.wait_ms <= SERVICE_LEVEL_MS ? 1 : 0, 1],
    abandon_rate: [s.abandoned ? 1 : 0, 1],
  };
  if (a && s.ended) values['human_aht_seconds'] = [s.ended.handle_ms / 1000, 1];
  return { time: o.time, dims: { business_unit: o.business_unit, product: o.product, channel: 'HOTLINE' }, values };
}

/** Makes `e` the counted event of its type if it is the first; false when it is not (a duplicate). */
function count(s: CallState, e: CallEvent): boolean {
  const m = markOf(e);
  switch (e.type) {
    case 'OFFERED':
      if (s.offered && !precedes(m, s.offered)) return false;
      s.offered = { ...m, business_unit: e.business_unit, product: e.product };
      return true;
    case 'ANSWERED':
      if (s.answered && !precedes(m, s.answered)) return false;
      s.answered = { ...m, wait_ms: e.wait_ms ?? null };
      return true;
    case 'ABANDONED':
      if (s.abandoned && !precedes(m, s.abandoned)) return false;
      s.abandoned = m;
      return true;
    case 'ENDED':
      if (s.ended && !precedes(m, s.ended)) return false;
      s.ended = { ...m, handle_ms: (e.talk_ms ?? 0) + (e.hold_ms ?? 0) + (e.acw_ms ?? 0) };
      return true;
  }
}

export const callsLogic: TopicLogic<CallEvent> = {
  topic: 'cs.calls',
  rawTable: 'raw_calls',
  metrics: CALL_METRICS,

  onEvent(ctx: StepContext, event: CallEvent, msg: ConsumedMessage): StepResult {
    const id = event.call_id;
    let s = CALLS.current(ctx, id);
    if (s?.waiting.some((w) => w.event.event_id === event.event_id)) return DUPLICATE;
    s ??= newCall(event.event_time);
    s.last = Math.max(s.last, event.event_time);

    if (!s.offered && event.type !== 'OFFERED') {
      CALLS.wait(ctx, id, s, { event, offset: Number(msg.offset) });
      return OK;
    }

    const before = callContribution(s);
    const offeredBefore = s.offered?.time ?? null;
    const counted = count(s, event);
    if (s.offered && offeredBefore === null) OPEN.add(ctx.state, s.offered.time);
    else if (s.offered && offeredBefore !== null) OPEN.move(ctx.state, offeredBefore, s.offered.time);
    if (counted && event.type === 'OFFERED' && s.waiting.length) {
      // The events that waited for this OFFERED: the first of each type counts.
      for (const e of CALLS.release(s)) count(s, e);
    }
    emitChange(ctx, before, callContribution(s));
    CALLS.fileExpiry(ctx, id, s);
    ctx.state.set(callKey(id), s);
    return counted ? OK : DUPLICATE;
  },

  closeWindows(ctx: StepContext): void {
    CALLS.closeWindows(ctx);
  },

  nextDue: (state) => CALLS.nextDue(state),

  settled(ctx: StepContext): Settled {
    const open = OPEN.earliest(ctx.state) ?? ctx.horizon;
    return Object.fromEntries(CALL_METRICS.map((m) => [m, open]));
  },
};
