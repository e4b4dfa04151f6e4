/**
 * Workforce (SPEC §3, §6): agent shifts → `staffed_hours` and `headcount`.
 *
 * An agent's events are taken in the order (event_time, LOGGED_OUT before LOGGED_IN, event_id).
 * A shift runs from a LOGGED_IN to the earliest of the next event (LOGGED_OUT or LOGGED_IN) and
 * LOGGED_IN + 12 h; it is final once the horizon passes its end. A LOGGED_OUT whose previous event
 * is not a LOGGED_IN is dead-lettered `orphan` once the horizon passes it. Events are finalised in
 * that order, so a shift is emitted only after every earlier event of its agent.
 *
 * A final shift [start, end) adds, per grain and per bucket it overlaps, the overlap in hours to
 * `staffed_hours` and 1 to `headcount` unless the agent was already counted in that bucket for the
 * same (business_unit, site_type). Dimensions: business_unit of the LOGGED_IN, its site_type as
 * `product`, channel ''. Both go to one grain's bucket at a time (`Emitter.metricAt`): a distinct
 * count cannot be written with `Emitter.metric`, which adds the same amount to all grains of one
 * instant, so an hour would always get the sum of its minutes.
 *
 * State, one key per agent (`a:<agent_id>`), plus the `d:` keys of dedup.ts:
 *   pending  accepted events not yet finalised, in order (with their offsets, for dead letters)
 *   last     type of the last finalised event (decides whether the next LOGGED_OUT is an orphan)
 *   frozen   order key below which an arriving event would change something final (only reachable
 *            after an idle flush closed ahead of stream time) → `late`
 *   counted  per "business_unit\u0000site_type": last bucket start counted in headcount, per grain
 */
import { GRAINS, type Grain } from '@cs/catalog';
import type { ConsumedMessage } from '@cs/kafka';
import type { AgentEvent } from '@cs/schemas';
import { Buckets } from '../buckets.ts';
import type { Dimensions, KeyedState, StepContext, StepResult, TopicLogic } from '../engine/types.ts';
import { forgetSeenBefore, seenBefore } from './dedup.ts';
import { deadLetterKept, safeHorizon, type Waiting } from './kept.ts';

export const MAX_SHIFT_MS = 12 * 3_600_000;
export const AGENT_PREFIX = 'a:';
const HOUR_MS = 3_600_000;
const QUARTER_MS = 15 * 60_000;

/** A position in an agent's event order: (event_time, rank: LOGGED_OUT 0 < LOGGED_IN 1, event_id). */
export interface OrderKey {
  t: number;
  rank: 0 | 1;
  id: string;
}

/** Last counted bucket start per grain. */
export interface CountedBuckets {
  minute: number;
  hour: number;
  day: number;
}

export interface AgentState {
  pending: Waiting<AgentEvent>[];
  last: AgentEvent['type'] | null;
  frozen: OrderKey | null;
  counted: Record<string, CountedBuckets>;
}

export interface Shift {
  agent_id: string;
  start: number;
  end: number;
  dims: Dimensions;
}

export const agentKey = (agentId: string) => `${AGENT_PREFIX}${agentId}`;

export const orderKey = (e: AgentEvent): OrderKey => ({ t: e.event_time, rank: e.type === 'LOGGED_OUT' ? 0 : 1, id: e.event_id });

export function compareKeys(a: OrderKey, b: OrderKey): number {
  return a.t - b.t || a.rank - b.rank || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

const bucketsByZone = new Map<string, Buckets>();
export function bucketsFor(timeZone: string): Buckets {
  let b = bucketsByZone.get(timeZone);
  if (!b) bucketsByZone.set(timeZone, (b = new Buckets(timeZone)));
  return b;
}

/**
 * Start of the bucket after the one starting at `bucketStart`. Bucket boundaries fall on quarter
 * hours (UTC offsets are multiples of 15 min), so stepping by 15 min finds the very next one, also
 * on 23- and 25-hour DST days.
 */
export function nextBucketStart(buckets: Buckets, bucketStart: number, grain: Grain): number {
  if (grain === 'minute') return bucketStart + 60_000;
  let t = bucketStart + (grain === 'hour' ? QUARTER_MS : 20 * HOUR_MS);
  while (buckets.start(t, grain) <= bucketStart) t += QUARTER_MS;
  return buckets.start(t, grain);
}

/** The buckets of one grain that [start, end) overlaps, with the overlap in ms. */
export function* overlaps(buckets: Buckets, start: number, end: number, grain: Grain): IterableIterator<{ bucket: number; ms: number }> {
  let bucket = buckets.start(start, grain);
  while (bucket < end) {
    const next = nextBucketStart(buckets, bucket, grain);
    const ms = Math.min(end, next) - Math.max(start, bucket);
    if (ms > 0) yield { bucket, ms };
    bucket = next;
  }
}

/** When the first pending event of an agent becomes final (horizon strictly past it), or null. */
function firstDue(s: AgentState): number | null {
  const first = s.pending[0]?.event;
  if (!first) return null;
  if (first.type === 'LOGGED_OUT') return first.event_time;
  const next = s.pending[1]?.event;
  const cap = first.event_time + MAX_SHIFT_MS;
  return next && next.event_time <= cap ? next.event_time : cap;
}

/** Emits a final shift's staffed hours and headcount, updating the agent's counted buckets. */
function emitShift(ctx: StepContext, s: AgentState, shift: Shift, safe: number): void {
  if (shift.end <= shift.start) return;
  const buckets = bucketsFor(ctx.rules.timeZone);
  const dimsKey = `${shift.dims.business_unit}\u0000${shift.dims.product}`;
  const counted: CountedBuckets = { ...(s.counted[dimsKey] ?? { minute: -Infinity, hour: -Infinity, day: -Infinity }) };
  for (const grain of GRAINS) {
    for (const { bucket, ms } of overlaps(buckets, shift.start, shift.end, grain)) {
      ctx.emit.metricAt(grain, bucket, 'staffed_hours', shift.dims, ms / HOUR_MS, 0);
      if (bucket > counted[grain]) {
        ctx.emit.metricAt(grain, bucket, 'headcount', shift.dims, 1, 0);
        counted[grain] = bucket;
      }
    }
  }
  s.counted[dimsKey] = counted;
  pruneCounted(s, buckets, Math.min(shift.start, safe));
}

/** Forgets counted buckets no later shift can touch: shifts to come start at or after `from`. */
function pruneCounted(s: AgentState, buckets: Buckets, from: number): void {
  const today = buckets.start(from, 'day');
  for (const [k, c] of Object.entries(s.counted)) if (c.day < today) delete s.counted[k];
}

function deadLetterOrphan(ctx: StepContext, p: Waiting<AgentEvent>): void {
  deadLetterKept(ctx, 'cs.agents', p, 'orphan', `LOGGED_OUT of agent ${p.event.agent_id} without a LOGGED_IN before it`);
}

/** Finalises an agent's events up to the horizon, in order. Mutates `s`. */
function advance(ctx: StepContext, s: AgentState, safe: number): void {
  const horizon = ctx.horizon;
  let done = 0;
  while (done < s.pending.length) {
    const p = s.pending[done]!;
    const e = p.event;
    if (e.type === 'LOGGED_OUT') {
      if (e.event_time >= horizon) break;
      if (s.last !== 'LOGGED_IN') deadLetterOrphan(ctx, p);
      s.frozen = orderKey(e);
    } else {
      const next = s.pending[done + 1]?.event;
      const cap = e.event_time + MAX_SHIFT_MS;
      const endedByNext = next !== undefined && next.event_time <= cap;
      const end = endedByNext ? next.event_time : cap;
      if (end >= horizon) break;
      emitShift(ctx, s, { agent_id: e.agent_id, start: e.event_time, end, dims: { business_unit: e.business_unit, product: e.site_type, channel: '' } }, safe);
      // An event sorting before `next` (or, capped, before the cap) would have changed this shift.
      s.frozen = endedByNext ? orderKey(next) : { t: cap, rank: 0, id: '' };
    }
    s.last = e.type;
    done++;
  }
  if (done) s.pending = s.pending.slice(done);
}

export const agentsLogic: TopicLogic<AgentEvent> = {
  topic: 'cs.agents',
  rawTable: 'raw_agents',

  onEvent(ctx: StepContext, event: AgentEvent, msg: ConsumedMessage): StepResult {
    if (seenBefore(ctx.state, event.event_id, event.event_time)) return { kind: 'drop', why: 'duplicate' };
    const k = agentKey(event.agent_id);
    const s = ctx.state.get<AgentState>(k) ?? { pending: [], last: null, frozen: null, counted: {} };
    const key = orderKey(event);
    // Only after an idle flush closed ahead of stream time: this event would change a final shift or orphan.
    if (s.frozen && compareKeys(key, s.frozen) < 0) {
      return { kind: 'dead_letter', reason: 'late', detail: `agent ${event.agent_id}: shifts up to ${new Date(s.frozen.t).toISOString()} are already final` };
    }
    const pending = [...s.pending];
    let i = pending.length;
    while (i > 0 && compareKeys(orderKey(pending[i - 1]!.event), key) > 0) i--;
    pending.splice(i, 0, { event, offset: Number(msg.offset) });
    ctx.state.set(k, { ...s, pending } satisfies AgentState);
    return { kind: 'ok' };
  },

  earliestWindowEnd(state: KeyedState): number | null {
    let earliest: number | null = null;
    for (const [, value] of state.entries(AGENT_PREFIX)) {
      const due = firstDue(value as AgentState);
      if (due !== null && (earliest === null || due < earliest)) earliest = due;
    }
    return earliest;
  },

  closeWindows(ctx: StepContext): void {
    const safe = safeHorizon(ctx);
    for (const [k, value] of ctx.state.entries(AGENT_PREFIX)) {
      const prev = value as AgentState;
      const due = firstDue(prev);
      const stale = prev.frozen !== null && prev.frozen.t < safe;
      if ((due === null || due >= ctx.horizon) && !stale) continue;
      const s: AgentState = { pending: prev.pending, last: prev.last, frozen: prev.frozen, counted: { ...prev.counted } };
      advance(ctx, s, safe);
      // Nothing can arrive below the safe horizon, so a frozen key there guards nothing.
      if (s.frozen && s.frozen.t < safe) s.frozen = null;
      if (!s.pending.length) pruneCounted(s, bucketsFor(ctx.rules.timeZone), safe);
      // `last` = LOGGED_IN must be kept: a later LOGGED_OUT of the agent is then no orphan.
      if (!s.pending.length && s.last !== 'LOGGED_IN' && !s.frozen && !Object.keys(s.counted).length) ctx.state.delete(k);
      else ctx.state.set(k, s);
    }
    forgetSeenBefore(ctx.state, safe);
  },
};
