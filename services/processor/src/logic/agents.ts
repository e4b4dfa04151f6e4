/**
 * Workforce (SPEC §3, §6), live (SPEC §4): agent shifts → `staffed_hours` and `headcount`, counted
 * as they accrue.
 *
 * An agent's events are taken in the order (event_time, LOGGED_OUT before LOGGED_IN, event_id).
 * A shift runs from a LOGGED_IN to the earliest of the next event (LOGGED_OUT or LOGGED_IN) and
 * LOGGED_IN + 12 h. What is counted of a shift:
 *   - its whole span when the next event ends it;
 *   - otherwise up to the accrual point: the start of the stream-time minute, capped at 12 h. So an
 *     open shift adds each minute once stream time passes that minute.
 * An event arriving later (within the allowed lateness) that ends a shift earlier or starts one
 * changes what is counted; the difference is emitted (negative where time is taken back).
 *
 * Per grain and bucket, `staffed_hours` is the counted overlap in hours, and `headcount` 1 per agent
 * whose counted time of the same (business_unit, site_type) overlaps the bucket. Dimensions:
 * business_unit of the LOGGED_IN, its site_type as `product`, channel ''. Both go to one grain's
 * bucket at a time (`Emitter.metricAt`): a distinct count cannot be written with `Emitter.metric`.
 *
 * An event is final once the horizon passes it (a LOGGED_IN: once it passes its shift's end); a final
 * LOGGED_OUT whose previous event is not a LOGGED_IN is dead-lettered `orphan`. Events arrive at or
 * after the horizon, so they never change a final shift.
 *
 * State, one key per agent (`a:<agent_id>`), plus the `d:` keys of dedup.ts:
 *   pending   accepted events not final yet, in order (with their offsets, for dead letters)
 *   last      type of the last final event (decides whether the next LOGGED_OUT is an orphan)
 *   counted   the spans counted so far, one per LOGGED_IN, kept while a change could still touch a
 *             bucket they overlap (for headcount's distinct count and for retractions)
 *   accrue / due   the buckets of `agent-accrue` (stream time reaching the next accrual minute) and
 *             `agent-due` (horizon passing the next final event or clean-up) it is filed under
 */
import { GRAINS, type Grain } from '@cs/catalog';
import type { ConsumedMessage } from '@cs/kafka';
import type { AgentEvent } from '@cs/schemas';
import { Buckets } from '../buckets.ts';
import type { Dimensions, StepContext, StepResult, TopicLogic } from '../engine/types.ts';
import { forgetSeenBefore, seenBefore } from './dedup.ts';
import { DueIndex } from './due-index.ts';
import { deadLetterKept, type Waiting } from './kept.ts';
import { minBound } from './open-times.ts';

export const MAX_SHIFT_MS = 12 * 3_600_000;
export const AGENT_PREFIX = 'a:';
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const ACCRUE = new DueIndex('agent-accrue', MINUTE_MS);
const DUE = new DueIndex('agent-due', MINUTE_MS);

/** A position in an agent's event order: (event_time, rank: LOGGED_OUT 0 < LOGGED_IN 1, event_id). */
export interface OrderKey {
  t: number;
  rank: 0 | 1;
  id: string;
}

/** The counted part [start, end) of one shift (keyed by its LOGGED_IN's event_id). */
export interface CountedSpan {
  id: string;
  start: number;
  end: number;
  business_unit: string;
  site_type: string;
  /** Its LOGGED_IN is final: the span never changes again. */
  final: boolean;
}

export interface AgentState {
  pending: Waiting<AgentEvent>[];
  last: AgentEvent['type'] | null;
  counted: CountedSpan[];
  accrue: number | null;
  due: number | null;
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

/** The buckets of one grain that [start, end) overlaps, with the overlap in ms. */
export function* overlaps(buckets: Buckets, start: number, end: number, grain: Grain): IterableIterator<{ bucket: number; ms: number }> {
  let bucket = buckets.start(start, grain);
  while (bucket < end) {
    const next = buckets.end(bucket, grain);
    const ms = Math.min(end, next) - Math.max(start, bucket);
    if (ms > 0) yield { bucket, ms };
    bucket = next;
  }
}

/** The end of the shift a LOGGED_IN at pending[i] opens, and whether an event ends it (else the cap). */
function shiftEnd(pending: readonly Waiting<AgentEvent>[], i: number): { end: number; byNext: boolean } {
  const start = pending[i]!.event.event_time;
  const next = pending[i + 1]?.event;
  const cap = start + MAX_SHIFT_MS;
  return next && next.event_time <= cap ? { end: next.event_time, byNext: true } : { end: cap, byNext: false };
}

/** Instant a horizon passing it makes the first pending event final, or null. */
function firstFinal(s: AgentState): number | null {
  const first = s.pending[0]?.event;
  if (!first) return null;
  return first.type === 'LOGGED_OUT' ? first.event_time : shiftEnd(s.pending, 0).end;
}

const spanOf = (e: AgentEvent, end: number, final: boolean): CountedSpan => ({ id: e.event_id, start: e.event_time, end, business_unit: e.business_unit, site_type: e.site_type, final });

/**
 * Makes final the pending events the horizon passed, in order, dead-lettering orphan LOGGED_OUTs;
 * returns the spans of the shifts that became final.
 */
function finalize(ctx: StepContext, s: AgentState): CountedSpan[] {
  const spans: CountedSpan[] = [];
  let done = 0;
  while (done < s.pending.length) {
    const p = s.pending[done]!;
    const e = p.event;
    if (e.type === 'LOGGED_OUT') {
      if (e.event_time >= ctx.horizon) break;
      if (s.last !== 'LOGGED_IN') deadLetterKept(ctx, 'cs.agents', p, 'orphan', `LOGGED_OUT of agent ${e.agent_id} without a LOGGED_IN before it`);
    } else {
      const { end } = shiftEnd(s.pending, done);
      if (end >= ctx.horizon) break;
      spans.push(spanOf(e, end, true));
    }
    s.last = e.type;
    done++;
  }
  if (done) s.pending = s.pending.slice(done);
  return spans;
}

/**
 * The spans of the pending LOGGED_INs as counted now, and the instant stream time must reach for an
 * open one to count more (null: none open).
 */
function pendingSpans(ctx: StepContext, s: AgentState): { spans: CountedSpan[]; accrueAt: number | null } {
  const accrualPoint = Math.floor(ctx.streamTime / MINUTE_MS) * MINUTE_MS;
  const spans: CountedSpan[] = [];
  let accrueAt: number | null = null;
  s.pending.forEach((p, i) => {
    const e = p.event;
    if (e.type !== 'LOGGED_IN') return;
    const { end, byNext } = shiftEnd(s.pending, i);
    if (byNext) {
      spans.push(spanOf(e, end, false));
      return;
    }
    const reached = Math.max(e.event_time, accrualPoint);
    spans.push(spanOf(e, Math.min(end, reached), false));
    if (reached < end) {
      const next = Math.floor(reached / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
      if (accrueAt === null || next < accrueAt) accrueAt = next;
    }
  });
  return { spans, accrueAt };
}

const dimsOf = (c: CountedSpan): Dimensions => ({ business_unit: c.business_unit, product: c.site_type, channel: '' });
const dimsKey = (c: CountedSpan) => `${c.business_unit}\u0000${c.site_type}`;

/** Counted ms of `spans` (of one dims) within [from, to), and whether any overlaps it. */
function coverage(spans: readonly CountedSpan[], from: number, to: number): { ms: number; any: boolean } {
  let ms = 0;
  for (const c of spans) ms += Math.max(0, Math.min(to, c.end) - Math.max(from, c.start));
  return { ms, any: ms > 0 };
}

/** Emits the difference between counting `before` and `after` in every bucket a changed span touches. */
function emitDifference(ctx: StepContext, before: readonly CountedSpan[], after: readonly CountedSpan[]): void {
  const old = new Map(before.map((c) => [c.id, c]));
  const now = new Map(after.map((c) => [c.id, c]));
  // Per dims, the time ranges where what is counted changed.
  const changed = new Map<string, [number, number][]>();
  const note = (c: CountedSpan, from: number, to: number) => {
    if (to <= from) return;
    const k = dimsKey(c);
    changed.set(k, [...(changed.get(k) ?? []), [from, to]]);
  };
  for (const c of new Set([...old.keys(), ...now.keys()])) {
    const a = old.get(c);
    const b = now.get(c);
    if (a && b) {
      if (a.start !== b.start) note(b, Math.min(a.start, b.start), Math.max(a.start, b.start));
      if (a.end !== b.end) note(b, Math.min(a.end, b.end), Math.max(a.end, b.end));
    } else if (a) note(a, a.start, a.end);
    else if (b) note(b, b.start, b.end);
  }
  const buckets = bucketsFor(ctx.rules.timeZone);
  for (const [k, ranges] of changed) {
    const oldSpans = before.filter((c) => dimsKey(c) === k);
    const newSpans = after.filter((c) => dimsKey(c) === k);
    const dims = dimsOf((newSpans[0] ?? oldSpans[0])!);
    for (const grain of GRAINS) {
      const seen = new Set<number>();
      for (const [from, to] of ranges) {
        for (const { bucket } of overlaps(buckets, from, to, grain)) {
          if (seen.has(bucket)) continue;
          seen.add(bucket);
          const end = buckets.end(bucket, grain);
          const x = coverage(oldSpans, bucket, end);
          const y = coverage(newSpans, bucket, end);
          if (y.ms !== x.ms) ctx.emit.metricAt(grain, bucket, 'staffed_hours', dims, (y.ms - x.ms) / HOUR_MS, 0);
          if (y.any !== x.any) ctx.emit.metricAt(grain, bucket, 'headcount', dims, y.any ? 1 : -1, 0);
        }
      }
    }
  }
}

/**
 * Brings an agent up to date with the horizon and the accrual point: finalises events, counts what
 * changed, forgets final spans no change can touch any more, files its timers and writes it. A
 * timer that fired passes its field as null, so it is filed again.
 */
function refresh(ctx: StepContext, agentId: string, s: AgentState): void {
  const before = s.counted;
  const finalNow = finalize(ctx, s);
  const { spans: open, accrueAt } = pendingSpans(ctx, s);
  const spans = [...before.filter((c) => c.final), ...finalNow, ...open].filter((c) => c.end > c.start);
  emitDifference(ctx, before, spans);
  // Changes happen at or after the horizon: a final span ending by the start of its day bucket touches nothing that can change.
  const buckets = bucketsFor(ctx.rules.timeZone);
  const dayOfHorizon = buckets.start(ctx.horizon, 'day');
  s.counted = spans.filter((c) => !c.final || c.end > dayOfHorizon);
  const k = agentKey(agentId);
  // `last` = LOGGED_IN must be kept: a later LOGGED_OUT of the agent is then no orphan.
  if (!s.pending.length && !s.counted.length && s.last !== 'LOGGED_IN') {
    ctx.state.delete(k);
    return;
  }
  s.accrue = accrueAt === null ? null : ACCRUE.schedule(ctx.state, agentId, accrueAt, s.accrue);
  let dueAt = firstFinal(s);
  for (const c of s.counted) {
    if (!c.final) continue;
    const cleanAt = buckets.end(c.end - 1, 'day');
    if (dueAt === null || cleanAt < dueAt) dueAt = cleanAt;
  }
  s.due = dueAt === null ? null : DUE.schedule(ctx.state, agentId, dueAt, s.due);
  ctx.state.set(k, s);
}

export const agentsLogic: TopicLogic<AgentEvent> = {
  topic: 'cs.agents',
  rawTable: 'raw_agents',
  metrics: ['staffed_hours', 'headcount'],

  onEvent(ctx: StepContext, event: AgentEvent, msg: ConsumedMessage): StepResult {
    if (seenBefore(ctx.state, event.event_id, event.event_time)) return { kind: 'drop', why: 'duplicate' };
    const s = ctx.state.get<AgentState>(agentKey(event.agent_id)) ?? { pending: [], last: null, counted: [], accrue: null, due: null };
    const key = orderKey(event);
    const pending = [...s.pending];
    let i = pending.length;
    while (i > 0 && compareKeys(orderKey(pending[i - 1]!.event), key) > 0) i--;
    pending.splice(i, 0, { event, offset: Number(msg.offset) });
    refresh(ctx, event.agent_id, { ...s, pending });
    return { kind: 'ok' };
  },

  closeWindows(ctx: StepContext): void {
    const load = (id: string) => ctx.state.get<AgentState>(agentKey(id));
    // Accrual timers follow stream time: an entry filed at minute M is due once stream time reaches M.
    ACCRUE.takeDue(ctx.state, ctx.streamTime + 1, load, (s) => s.accrue, (id, s) => refresh(ctx, id, { ...s, accrue: null }));
    DUE.takeDue(ctx.state, ctx.horizon, load, (s) => s.due, (id, s) => refresh(ctx, id, { ...s, due: null }));
    forgetSeenBefore(ctx.state, ctx.horizon);
  },

  /** Every change comes with an event at or after the horizon, so a bucket that ends before it is final. */
  settled: () => ({}),

  // Accrual timers follow stream time, which is the horizon plus the lateness.
  nextDue(state, rules) {
    const accrue = ACCRUE.firstStart(state);
    return minBound(DUE.firstStart(state), accrue === null ? null : accrue - rules.allowedLatenessMs);
  },
};
