import { describe, expect, it } from 'vitest';
import type { ConsumedMessage } from '@cs/kafka';
import { decodeEvent, encodeEvent, type CallEvent } from '@cs/schemas';
import { Buckets } from '../src/buckets.ts';
import { FlushOutputs } from '../src/engine/outputs.ts';
import { TrackedState } from './memory-state.ts';
import type { StepContext, TopicLogic } from '../src/engine/types.ts';
import { callKey, callsLogic, type CallState } from '../src/logic/calls.ts';
import { DueIndex } from '../src/logic/due-index.ts';
import { deadLetterLines, figures, metricKey, recorded, RULES, runLogic, settledAt, type HarnessResult } from './harness.ts';
import { mulberry32, randomBatches, shuffleWithinLateness } from './random.ts';

const L = RULES.allowedLatenessMs;
const at = (iso: string) => Date.parse(iso);
let n = 0;
const nextId = () => `e${String(++n).padStart(6, '0')}`;

function call(id: string, type: CallEvent['type'], time: string | number, extra: Partial<CallEvent> = {}): CallEvent {
  return {
    event_id: nextId(),
    event_time: typeof time === 'number' ? time : at(time),
    business_unit: 'b',
    product: 'p',
    type,
    call_id: id,
    session_id: null,
    user_id: 'u1',
    queue: 'b.general',
    agent_id: type === 'ANSWERED' || type === 'ENDED' ? 'a1' : null,
    site_type: type === 'ANSWERED' ? 'IN_HOUSE' : null,
    wait_ms: type === 'ANSWERED' || type === 'ABANDONED' ? 10_000 : null,
    talk_ms: type === 'ENDED' ? 120_000 : null,
    hold_ms: type === 'ENDED' ? 0 : null,
    acw_ms: type === 'ENDED' ? 30_000 : null,
    ...extra,
  };
}

const logic = callsLogic as TopicLogic;
const CALL_METRICS = ['human_answer_rate', 'service_level_20s', 'abandon_rate', 'human_aht_seconds'];
/** Metric sums are compared rounded, against float summation order. */
const ROUNDED = { round: true };

/** The summed [numerator, denominator] of a metric (channel HOTLINE unless given). */
const get = (r: HarnessResult, grain: string, bucket: string, metric: string, bu = 'b', product = 'p', channel = 'HOTLINE') =>
  r.metrics.get(metricKey(grain, at(bucket), metric, bu, product, channel));

const calls = (r: HarnessResult) => [...r.state.entries('call:')].map(([k, v]) => [k, v as CallState] as const);

describe('DueIndex', () => {
  it('files ids by bucket, keeps the earliest filing, takes due buckets in order and finds the earliest due', () => {
    const state = new TrackedState();
    const idx = new DueIndex('t', 60_000);
    const due = new Map<string, number>();
    const timer = new Map<string, number | null>();
    const file = (id: string, t: number) => {
      due.set(id, t);
      timer.set(id, idx.schedule(state, id, t, timer.get(id) ?? null));
    };
    file('a', 5 * 60_000 + 10);
    file('b', 2 * 60_000 + 59_999);
    file('c', 9 * 60_000);
    file('a', 7 * 60_000); // later: stays filed under minute 5
    file('c', 1 * 60_000); // earlier: filed again under minute 1 (the minute-9 entry goes stale)
    expect(state.get('t')).toEqual([1, 2, 5, 9]);
    expect([timer.get('a'), timer.get('b'), timer.get('c')]).toEqual([5, 2, 1]);
    const dueOf = (id: string, bucket: number) => (timer.get(id) === bucket ? due.get(id)! : null);
    expect(idx.earliest(state, dueOf)).toBe(60_000);
    const taken = idx.take(state, 5 * 60_000 + 1);
    expect(taken).toEqual([
      { bucket: 1, ids: ['c'] },
      { bucket: 2, ids: ['b'] },
      { bucket: 5, ids: ['a'] },
    ]);
    expect(state.get('t')).toEqual([9]);
    expect(idx.earliest(state, dueOf)).toBeNull(); // the minute-9 entry of c is stale
    expect(idx.take(state, Infinity)).toEqual([{ bucket: 9, ids: ['c'] }]);
    expect([...state.entries('t')]).toEqual([]);
  });
});

describe('calls logic', () => {
  it('sums each call metric at minute, hour and day, attributed to the OFFERED (time and dims, channel HOTLINE)', () => {
    const events = [
      // A: answered in 15 s, handled 200+30+40 s.
      call('A', 'OFFERED', '2026-03-01T10:00:00Z'),
      call('A', 'ANSWERED', '2026-03-01T10:00:15Z', { wait_ms: 15_000 }),
      call('A', 'ENDED', '2026-03-01T10:05:00Z', { talk_ms: 200_000, hold_ms: 30_000, acw_ms: 40_000 }),
      // B: offered at 10:59:50, answered in 40 s (11:00:30: still the 10:59 / 10:00 buckets), handled 100.5 s.
      call('B', 'OFFERED', '2026-03-01T10:59:50Z'),
      call('B', 'ANSWERED', '2026-03-01T11:00:30Z', { wait_ms: 40_000 }),
      call('B', 'ENDED', '2026-03-01T11:03:00Z', { talk_ms: 90_000, hold_ms: 500, acw_ms: 10_000 }),
      // C: abandoned; D: answered at exactly 20 s, not ended yet; E: other product.
      call('C', 'OFFERED', '2026-03-01T11:10:00Z'),
      call('C', 'ABANDONED', '2026-03-01T11:10:05Z', { wait_ms: 5_000 }),
      call('D', 'OFFERED', '2026-03-01T11:10:30Z'),
      call('D', 'ANSWERED', '2026-03-01T11:10:50Z', { wait_ms: 20_000 }),
      call('E', 'OFFERED', '2026-03-01T23:59:59Z', { business_unit: 'b2', product: 'q' }),
    ];
    const r = runLogic(logic, [events], { idleCloseAt: at('2026-03-03T00:00:00Z') });

    expect(get(r, 'minute', '2026-03-01T10:00:00Z', 'human_answer_rate')).toEqual([1, 1]);
    expect(get(r, 'minute', '2026-03-01T10:00:00Z', 'service_level_20s')).toEqual([1, 1]);
    expect(get(r, 'minute', '2026-03-01T10:00:00Z', 'abandon_rate')).toEqual([0, 1]);
    expect(get(r, 'minute', '2026-03-01T10:00:00Z', 'human_aht_seconds')).toEqual([270, 1]);
    expect(get(r, 'minute', '2026-03-01T10:59:00Z', 'human_answer_rate')).toEqual([1, 1]);
    expect(get(r, 'minute', '2026-03-01T10:59:00Z', 'service_level_20s')).toEqual([0, 1]);
    expect(get(r, 'minute', '2026-03-01T10:59:00Z', 'human_aht_seconds')).toEqual([100.5, 1]);
    expect(get(r, 'minute', '2026-03-01T11:00:00Z', 'human_answer_rate')).toBeUndefined();
    expect(get(r, 'minute', '2026-03-01T11:10:00Z', 'human_answer_rate')).toEqual([1, 2]);
    expect(get(r, 'minute', '2026-03-01T11:10:00Z', 'service_level_20s')).toEqual([1, 2]); // 20 000 ms is within
    expect(get(r, 'minute', '2026-03-01T11:10:00Z', 'abandon_rate')).toEqual([1, 2]);
    expect(get(r, 'minute', '2026-03-01T11:10:00Z', 'human_aht_seconds')).toBeUndefined(); // D has no ENDED

    expect(get(r, 'hour', '2026-03-01T10:00:00Z', 'human_answer_rate')).toEqual([2, 2]);
    expect(get(r, 'hour', '2026-03-01T10:00:00Z', 'service_level_20s')).toEqual([1, 2]);
    expect(get(r, 'hour', '2026-03-01T10:00:00Z', 'abandon_rate')).toEqual([0, 2]);
    expect(get(r, 'hour', '2026-03-01T10:00:00Z', 'human_aht_seconds')).toEqual([370.5, 2]);
    expect(get(r, 'hour', '2026-03-01T11:00:00Z', 'human_answer_rate')).toEqual([1, 2]);
    expect(get(r, 'hour', '2026-03-01T11:00:00Z', 'service_level_20s')).toEqual([1, 2]);
    expect(get(r, 'hour', '2026-03-01T11:00:00Z', 'abandon_rate')).toEqual([1, 2]);

    expect(get(r, 'day', '2026-03-01T00:00:00Z', 'human_answer_rate')).toEqual([3, 4]);
    expect(get(r, 'day', '2026-03-01T00:00:00Z', 'service_level_20s')).toEqual([2, 4]);
    expect(get(r, 'day', '2026-03-01T00:00:00Z', 'abandon_rate')).toEqual([1, 4]);
    expect(get(r, 'day', '2026-03-01T00:00:00Z', 'human_aht_seconds')).toEqual([370.5, 2]);
    expect(get(r, 'day', '2026-03-01T00:00:00Z', 'human_answer_rate', 'b2', 'q')).toEqual([0, 1]);
    expect(get(r, 'day', '2026-03-01T00:00:00Z', 'abandon_rate', 'b2', 'q')).toEqual([0, 1]);
    expect([...r.metrics.keys()].every((k) => k.endsWith('|HOTLINE'))).toBe(true);
    expect(r.deadLetters).toEqual([]);
  });

  it('a null wait_ms is not within the service level; null durations count as 0', () => {
    const r = runLogic(logic, [[call('A', 'OFFERED', '2026-03-01T10:00:00Z'), call('A', 'ANSWERED', '2026-03-01T10:00:01Z', { wait_ms: null }), call('A', 'ENDED', '2026-03-01T10:02:00Z', { talk_ms: 60_000, hold_ms: null, acw_ms: null })]]);
    expect(get(r, 'day', '2026-03-01T00:00:00Z', 'human_answer_rate')).toEqual([1, 1]);
    expect(get(r, 'day', '2026-03-01T00:00:00Z', 'service_level_20s')).toEqual([0, 1]);
    expect(get(r, 'day', '2026-03-01T00:00:00Z', 'human_aht_seconds')).toEqual([60, 1]);
  });

  it('drops redelivered events and further events of a type as duplicates, without changing any figure', () => {
    const o = call('A', 'OFFERED', '2026-03-01T10:00:00Z');
    const a = call('A', 'ANSWERED', '2026-03-01T10:00:10Z', { wait_ms: 10_000 });
    const e = call('A', 'ENDED', '2026-03-01T10:03:00Z');
    const ab = call('A', 'ABANDONED', '2026-03-01T10:00:05Z', { wait_ms: 5_000 });
    const base = runLogic(logic, [[o, a, e, ab]]);
    const a2 = call('A', 'ANSWERED', '2026-03-01T10:00:40Z', { wait_ms: 40_000 });
    const e2 = call('A', 'ENDED', '2026-03-01T10:09:00Z', { talk_ms: 999_000 });
    const ab2 = call('A', 'ABANDONED', '2026-03-01T10:00:50Z');
    const o2 = call('A', 'OFFERED', '2026-03-01T10:00:30Z', { product: 'other' });
    const rec = recorded(logic);
    const r = runLogic(rec.logic, [[o, a, { ...a }, e], [{ ...o }, a2, e2, { ...e }, ab, ab2, o2, { ...ab }]]);
    expect(figures(r, ROUNDED)).toEqual(figures(base, ROUNDED));
    expect(get(r, 'day', '2026-03-01T00:00:00Z', 'human_aht_seconds')).toEqual([150, 1]);
    for (const x of [a2, e2, ab2, o2]) expect(rec.results.get(x.event_id)).toEqual([{ kind: 'drop', why: 'duplicate' }]);
    for (const x of [o, a, e, ab]) expect(rec.results.get(x.event_id)).toEqual([{ kind: 'ok' }, { kind: 'drop', why: 'duplicate' }]);
    expect(r.deadLetters).toEqual([]);
  });

  it('counts human_aht_seconds once, whichever of ANSWERED and ENDED comes second', () => {
    const o = call('A', 'OFFERED', '2026-03-01T10:00:00Z');
    const a = call('A', 'ANSWERED', '2026-03-01T10:00:10Z');
    const e = call('A', 'ENDED', '2026-03-01T10:03:00Z');
    for (const order of [[o, a, e], [o, e, a], [e, o, a], [a, e, o], [e, a, o]]) {
      const r = runLogic(logic, order.map((x) => [x]));
      expect(get(r, 'hour', '2026-03-01T10:00:00Z', 'human_aht_seconds')).toEqual([150, 1]);
      expect(get(r, 'hour', '2026-03-01T10:00:00Z', 'human_answer_rate')).toEqual([1, 1]);
    }
    // ENDED without ANSWERED (e.g. an abandoned call's hang-up) gives no AHT.
    const r = runLogic(logic, [[call('B', 'OFFERED', '2026-03-01T10:00:00Z'), call('B', 'ENDED', '2026-03-01T10:01:00Z')]]);
    expect(get(r, 'hour', '2026-03-01T10:00:00Z', 'human_aht_seconds')).toBeUndefined();
  });

  it('the first event of a type in event time counts, whatever the arrival order (corrections are deltas)', () => {
    const o = call('A', 'OFFERED', '2026-03-01T10:00:00Z');
    const slow = call('A', 'ANSWERED', '2026-03-01T10:00:45Z', { wait_ms: 45_000 });
    const fast = call('A', 'ANSWERED', '2026-03-01T10:00:05Z', { wait_ms: 5_000 });
    const e1 = call('A', 'ENDED', '2026-03-01T10:04:00Z', { talk_ms: 60_000, hold_ms: 0, acw_ms: 0 });
    const e2 = call('A', 'ENDED', '2026-03-01T10:05:00Z', { talk_ms: 120_000, hold_ms: 0, acw_ms: 0 });
    // A second OFFERED, 30 s earlier in another minute and product: it becomes the attribution.
    const early = call('A', 'OFFERED', '2026-03-01T09:59:30Z', { product: 'p2' });
    const inOrder = runLogic(logic, [[early, o, fast, slow, e1, e2]]);
    const reversed = runLogic(logic, [[e2], [e1], [slow], [fast], [o], [early]]);
    const mixed = runLogic(logic, [[o, slow, e2], [early, e1], [fast]]);
    expect(figures(reversed, ROUNDED)).toEqual(figures(inOrder, ROUNDED));
    expect(figures(mixed, ROUNDED)).toEqual(figures(inOrder, ROUNDED));
    expect(get(mixed, 'minute', '2026-03-01T09:59:00Z', 'service_level_20s', 'b', 'p2')).toEqual([1, 1]);
    expect(get(mixed, 'minute', '2026-03-01T09:59:00Z', 'human_aht_seconds', 'b', 'p2')).toEqual([60, 1]);
    expect(get(mixed, 'minute', '2026-03-01T10:00:00Z', 'human_answer_rate') ?? [0, 0]).toEqual([0, 0]); // retracted
    expect(get(mixed, 'day', '2026-03-01T00:00:00Z', 'human_answer_rate', 'b', 'p2')).toEqual([1, 1]);
  });

  it('keeps events waiting for their OFFERED and counts them when it comes', () => {
    const r = runLogic(logic, [[call('A', 'ANSWERED', '2026-03-01T10:00:10Z'), call('A', 'ENDED', '2026-03-01T10:03:00Z')], [call('A', 'OFFERED', '2026-03-01T10:00:00Z')]], {
      idleCloseAt: at('2026-03-02T00:00:00Z'),
    });
    expect(get(r, 'hour', '2026-03-01T10:00:00Z', 'human_answer_rate')).toEqual([1, 1]);
    expect(get(r, 'hour', '2026-03-01T10:00:00Z', 'human_aht_seconds')).toEqual([150, 1]);
    expect(r.deadLetters).toEqual([]);
  });

  it('dead-letters events without an OFFERED as orphans once the horizon passes them, and they count nothing', () => {
    const a = call('X', 'ANSWERED', '2026-03-01T10:00:10Z');
    const e = call('X', 'ENDED', '2026-03-01T10:03:00Z');
    const y = call('Y', 'ABANDONED', '2026-03-01T11:04:00Z');
    const mover = call('Z', 'OFFERED', '2026-03-01T11:03:01Z'); // horizon 10:03:01: X's events are passed
    const r = runLogic(logic, [[a, e], [mover], [call('X', 'OFFERED', '2026-03-01T10:03:30Z'), y]], { idleCloseAt: at('2026-03-01T11:04:01Z') });
    expect(deadLetterLines(r)).toEqual([`${a.event_id}|orphan|call X has no OFFERED`, `${e.event_id}|orphan|call X has no OFFERED`, `${y.event_id}|orphan|call Y has no OFFERED`].sort());
    // The OFFERED that came after the horizon passed X's events counts alone.
    expect(get(r, 'day', '2026-03-01T00:00:00Z', 'human_answer_rate')).toEqual([0, 2]);
    expect(get(r, 'day', '2026-03-01T00:00:00Z', 'abandon_rate')).toEqual([0, 2]);
    expect(get(r, 'day', '2026-03-01T00:00:00Z', 'human_aht_seconds')).toBeUndefined();
    // The same with closeWindows only at the end: X's events are passed when its OFFERED comes.
    const oneFlush = runLogic(logic, [[a, e, mover, call('X', 'OFFERED', '2026-03-01T10:03:30Z'), y]], { idleCloseAt: at('2026-03-01T11:04:01Z') });
    expect(figures(oneFlush, ROUNDED)).toEqual(figures(r, ROUNDED));
    expect(oneFlush.deadLetters.map((d) => d.event_id).sort()).toEqual(r.deadLetters.map((d) => d.event_id).sort());
    const only = runLogic(logic, [[a, e, y]], { idleCloseAt: at('2026-03-02T00:00:00Z') });
    expect(only.metrics.size).toBe(0);
    expect(only.deadLetters.map((d) => d.reason)).toEqual(['orphan', 'orphan', 'orphan']);
    expect(calls(only)).toEqual([]);
    expect([...only.state.entries('call-')]).toEqual([]);
  });

  it('an idle flush dead-letters the waiting events its horizon passed', () => {
    const a = call('X', 'ANSWERED', '2026-03-01T10:00:10Z');
    const early = runLogic(logic, [[a]], { idleCloseAt: at('2026-03-01T10:00:10Z') }); // not passed yet
    expect(early.deadLetters).toEqual([]);
    const r = runLogic(logic, [[a, call('X', 'ENDED', '2026-03-01T10:03:00Z')]], { idleCloseAt: at('2026-03-01T10:01:00Z') });
    expect(r.deadLetters.map((d) => d.event_id)).toEqual([a.event_id]);
    expect(r.metrics.size).toBe(0);
  });

  it('gives the dead letter the original partition, offset, key and bytes (re-encoded from state)', () => {
    const a = call('X', 'ANSWERED', '2026-03-01T10:00:10Z');
    const state = new TrackedState();
    const out = new FlushOutputs(new Buckets('UTC'), 0);
    const ctx: StepContext = { topic: 'cs.calls', kafkaTopic: 'cs.calls', partition: 3, rules: RULES, state, emit: out, streamTime: a.event_time, horizon: a.event_time - L };
    const msg: ConsumedMessage = { topic: 'cs.calls', partition: 3, offset: '1234', key: Buffer.from('u1'), value: encodeEvent('cs.calls', a), timestamp: 0 };
    expect(callsLogic.onEvent(ctx, a, msg)).toEqual({ kind: 'ok' });
    expect(JSON.parse(JSON.stringify(state.get(callKey('X'))))).toEqual(state.get(callKey('X')));
    ctx.horizon = at('2026-03-02T00:00:00Z'); // an idle flush
    callsLogic.closeWindows(ctx);
    expect(out.deadLetters).toHaveLength(1);
    const d = out.deadLetters[0]!;
    expect([d.topic, d.partition, d.offset, d.reason, d.key, d.event_id, d.event_time]).toEqual(['cs.calls', 3, 1234, 'orphan', 'u1', a.event_id, a.event_time]);
    expect(d.payload_base64).toBe(msg.value!.toString('base64'));
    const decoded = decodeEvent('cs.calls', Buffer.from(d.payload_base64, 'base64'));
    expect(decoded.ok && decoded.event).toEqual(a);
    expect(state.get(callKey('X'))).toBeUndefined();
    expect([...state.entries('')]).toEqual([]);
  });

  it('forgets a call 24 h (stream time) after its last event; until then its figures are not final; a later event is then an orphan', () => {
    const o = call('A', 'OFFERED', '2026-03-01T10:00:00Z');
    const e = call('A', 'ENDED', '2026-03-01T10:05:00Z');
    const settled = (r: HarnessResult, streamTime: number) => settledAt(logic, r, streamTime - L).human_answer_rate;
    // Stream time 24 h + lateness past the last event: forgotten.
    const stillThere = runLogic(logic, [[o, e, call('B', 'OFFERED', '2026-03-02T11:05:00Z')]]);
    expect(stillThere.state.get(callKey('A'))).toBeDefined();
    expect(settled(stillThere, at('2026-03-02T11:05:00Z'))).toBe(o.event_time); // an ANSWERED may still come
    const gone = runLogic(logic, [[o, e, call('B', 'OFFERED', '2026-03-02T11:05:01Z')]]);
    expect(gone.state.get(callKey('A'))).toBeUndefined();
    expect(settled(gone, at('2026-03-02T11:05:01Z'))).toBe(at('2026-03-02T11:05:00Z')); // B's minute
    expect([...gone.state.entries('call:')].map(([k]) => k)).toEqual([callKey('B')]);
    // A (bizarre) event for it after that waits and becomes an orphan; the figures keep the old call only.
    const after = call('A', 'ANSWERED', '2026-03-02T10:30:00Z');
    const r = runLogic(logic, [[o, e], [call('B', 'OFFERED', '2026-03-02T11:05:01Z'), after]], { idleCloseAt: at('2026-03-03T00:00:00Z') });
    expect(r.deadLetters.map((d) => [d.event_id, d.reason])).toEqual([[after.event_id, 'orphan']]);
    expect(get(r, 'day', '2026-03-01T00:00:00Z', 'human_answer_rate')).toEqual([0, 1]);
    // The same in one flush (closeWindows not run in between): identical.
    const oneFlush = runLogic(logic, [[o, e, call('B', 'OFFERED', '2026-03-02T11:05:01Z'), after]], { idleCloseAt: at('2026-03-03T00:00:00Z') });
    expect(figures(oneFlush, ROUNDED)).toEqual(figures(r, ROUNDED));
    expect(oneFlush.deadLetters.map((d) => d.event_id)).toEqual([after.event_id]);
  });

  it('keeps state bounded: timers and calls are removed as stream time moves on', () => {
    const events: CallEvent[] = [];
    for (let i = 0; i < 200; i++) {
      const t = at('2026-03-01T00:00:00Z') + i * 10 * 60_000; // ~33 h
      events.push(call(`c${i}`, 'OFFERED', t), call(`c${i}`, 'ANSWERED', t + 5_000), call(`c${i}`, 'ENDED', t + 200_000));
      if (i % 10 === 0) events.push(call(`x${i}`, 'ENDED', t + 1_000)); // orphans
    }
    const r = runLogic(logic, [events]);
    const live = calls(r).map(([k]) => k);
    // Calls whose last event is within 24 h + lateness of stream time, plus orphans not yet passed.
    const streamTime = Math.max(...events.map((e) => e.event_time));
    const expected = [...new Set(events.filter((e) => e.call_id.startsWith('c')).map((e) => e.call_id))].filter((id) => {
      const last = Math.max(...events.filter((e) => e.call_id === id).map((e) => e.event_time));
      return last + 86_400_000 >= streamTime - L;
    });
    expect(live.sort()).toEqual(expected.map(callKey).sort());
    expect(r.deadLetters).toHaveLength(20);
    const timerIds = [...r.state.entries('call-expiry:')].flatMap(([, ids]) => ids as string[]);
    expect(timerIds.length).toBeLessThanOrEqual(expected.length);
    for (const [, v] of r.state.entries('')) expect(JSON.parse(JSON.stringify(v))).toEqual(v);
  });

  it('gives identical figures and dead letters for shuffled arrival within the lateness and any flush boundaries', () => {
    const rand = mulberry32(42);
    const events: CallEvent[] = [];
    const start = at('2026-03-01T22:00:00Z');
    const expected = new Map<string, [number, number]>();
    const add = (time: number, product: string, metric: string, num: number, den: number) => {
      const k = metricKey('day', Math.floor(time / 86_400_000) * 86_400_000, metric, 'b', product, 'HOTLINE');
      const s = expected.get(k) ?? [0, 0];
      expected.set(k, [s[0] + num, s[1] + den]);
    };
    for (let i = 0; i < 400; i++) {
      const id = `k${i}`;
      const t0 = start + Math.floor(rand() * 4 * 3_600_000);
      const product = rand() < 0.5 ? 'p' : 'q';
      const own: CallEvent[] = [];
      const noOffer = rand() < 0.05;
      const offered = call(id, 'OFFERED', t0, { product });
      if (!noOffer) own.push(offered);
      let answered: CallEvent | null = null;
      let ended: CallEvent | null = null;
      let abandoned: CallEvent | null = null;
      const r = rand();
      if (r < 0.8) {
        const wait = Math.floor(rand() * 40_000);
        answered = call(id, 'ANSWERED', t0 + wait, { wait_ms: wait, product });
        own.push(answered);
        if (rand() < 0.1) {
          // A second ANSWERED, earlier or later than the first.
          const w2 = Math.floor(rand() * 40_000);
          const a2 = call(id, 'ANSWERED', t0 + w2, { wait_ms: w2, product });
          own.push(a2);
          if (w2 < wait) answered = a2;
        }
        if (rand() < 0.9) {
          const talk = Math.floor(rand() * 600_000);
          ended = call(id, 'ENDED', t0 + (answered.wait_ms ?? 0) + talk + 1, { talk_ms: talk, hold_ms: Math.floor(rand() * 60_000), acw_ms: Math.floor(rand() * 60_000), product });
          own.push(ended);
        }
      } else if (r < 0.95) {
        const wait = Math.floor(rand() * 60_000);
        abandoned = call(id, 'ABANDONED', t0 + wait, { wait_ms: wait, product });
        own.push(abandoned);
      }
      if (!noOffer) {
        add(t0, product, 'human_answer_rate', answered ? 1 : 0, 1);
        add(t0, product, 'service_level_20s', answered && (answered.wait_ms ?? Infinity) <= 20_000 ? 1 : 0, 1);
        add(t0, product, 'abandon_rate', abandoned ? 1 : 0, 1);
        if (answered && ended) add(t0, product, 'human_aht_seconds', ((ended.talk_ms ?? 0) + (ended.hold_ms ?? 0) + (ended.acw_ms ?? 0)) / 1000, 1);
      }
      for (const e of own) {
        events.push(e);
        if (rand() < 0.05) events.push({ ...e }); // redelivered
      }
    }
    const inOrder = [...events].sort((a, b) => a.event_time - b.event_time);
    const shuffled = shuffleWithinLateness(events, 0.9 * L, rand);
    const idle = { idleCloseAt: at('2026-03-03T00:00:00Z') };
    const runs = [
      runLogic(logic, [inOrder], idle),
      runLogic(logic, [shuffled], idle),
      runLogic(logic, shuffled.map((e) => [e]), idle),
      runLogic(logic, randomBatches(shuffled, rand, 30), idle),
      runLogic(logic, randomBatches(inOrder, rand, 30), idle),
    ];
    const [first, ...rest] = runs;
    expect(first!.deadLetters.length).toBeGreaterThan(0);
    expect(first!.deadLetters.every((d) => d.reason === 'orphan')).toBe(true);
    for (const r of rest) {
      expect(r.deadLetters.every((d) => d.reason === 'orphan')).toBe(true); // nothing was late
      expect(figures(r, ROUNDED)).toEqual(figures(first!, ROUNDED));
      expect(deadLetterLines(r)).toEqual(deadLetterLines(first!));
      expect(counted(r)).toEqual(counted(first!));
    }
    // And the figures are the independent count above (day grain).
    const day = Object.fromEntries(Object.entries(figures(first!, ROUNDED)).filter(([k]) => k.startsWith('day|')));
    const want: Record<string, [number, number]> = {};
    for (const [k, [num, den]] of expected) want[k] = [Math.round(num * 1e6) / 1e6, den];
    expect(day).toEqual(want);
    for (const m of CALL_METRICS) expect(Object.keys(day).some((k) => k.includes(`|${m}|`))).toBe(true);
  });
});

/** The counted marks of every call (timers and waiting lists aside). */
function counted(r: HarnessResult) {
  return calls(r)
    .map(([k, s]) => [k, s.offered, s.answered, s.abandoned, s.ended, s.last])
    .sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1));
}
