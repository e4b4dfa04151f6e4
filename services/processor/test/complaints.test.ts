import { describe, expect, it } from 'vitest';
import type { ConsumedMessage } from '@cs/kafka';
import { decodeEvent, encodeEvent, type ComplaintEvent } from '@cs/schemas';
import { Buckets } from '../src/buckets.ts';
import { FlushOutputs } from '../src/engine/outputs.ts';
import { TrackedState } from './memory-state.ts';
import type { StepContext, TopicLogic } from '../src/engine/types.ts';
import { complaintKey, complaintsLogic, COMPLAINT_EXPIRY_MS, type ComplaintState } from '../src/logic/complaints.ts';
import { deadLetterLines, figures, metricKey, recorded, RULES, runLogic, settledAt, type HarnessResult } from './harness.ts';
import { mulberry32, randomBatches, shuffleWithinLateness } from './random.ts';

const L = RULES.allowedLatenessMs;
const DAY = 86_400_000;
const at = (iso: string) => Date.parse(iso);
let n = 0;
const nextId = () => `e${String(++n).padStart(6, '0')}`;

function complaint(id: string, type: ComplaintEvent['type'], time: string | number, extra: Partial<ComplaintEvent> = {}): ComplaintEvent {
  return {
    event_id: nextId(),
    event_time: typeof time === 'number' ? time : at(time),
    business_unit: 'b',
    product: 'p',
    type,
    complaint_id: id,
    user_id: 'u1',
    contact_id: null,
    channel: 'APP',
    category: 'billing',
    external: false,
    ...extra,
  };
}

const logic = complaintsLogic as TopicLogic;

const get = (r: HarnessResult, grain: string, bucket: string, metric: string, bu = 'b', product = 'p', channel = 'APP') =>
  r.metrics.get(metricKey(grain, at(bucket), metric, bu, product, channel));

/** Events spread over days, each batch moving stream time (so the lateness never rejects them). */
const byDay = (...batches: ComplaintEvent[][]) => batches;

describe('complaints logic', () => {
  it('counts FILED at its time and dims, UPHELD days later in the FILED bucket, and a zero upheld row at FILED', () => {
    const f1 = complaint('K1', 'FILED', '2026-03-01T10:15:00Z');
    const f2 = complaint('K2', 'FILED', '2026-03-01T10:45:00Z', { channel: 'HOTLINE' });
    const f3 = complaint('K3', 'FILED', '2026-03-01T23:30:00Z');
    const r = runLogic(
      logic,
      byDay(
        [f1, f2, f3],
        [complaint('K1', 'UPHELD', '2026-03-05T09:00:00Z', { channel: 'WEB', product: 'other' })],
        [complaint('K3', 'REJECTED', '2026-03-09T09:00:00Z')],
        [complaint('K2', 'UPHELD', '2026-03-20T09:00:00Z')],
      ),
      { idleCloseAt: at('2026-04-01T00:00:00Z') },
    );
    expect(get(r, 'minute', '2026-03-01T10:15:00Z', 'complaints_per_10k')).toEqual([1, 0]);
    expect(get(r, 'minute', '2026-03-01T10:15:00Z', 'upheld_complaints_per_10k')).toEqual([1, 0]);
    expect(get(r, 'hour', '2026-03-01T10:00:00Z', 'complaints_per_10k')).toEqual([1, 0]);
    expect(get(r, 'hour', '2026-03-01T10:00:00Z', 'upheld_complaints_per_10k')).toEqual([1, 0]);
    expect(get(r, 'hour', '2026-03-01T10:00:00Z', 'upheld_complaints_per_10k', 'b', 'p', 'HOTLINE')).toEqual([1, 0]);
    expect(get(r, 'hour', '2026-03-01T23:00:00Z', 'complaints_per_10k')).toEqual([1, 0]);
    expect(get(r, 'hour', '2026-03-01T23:00:00Z', 'upheld_complaints_per_10k')).toBeUndefined(); // 0/0: no row
    expect(get(r, 'day', '2026-03-01T00:00:00Z', 'complaints_per_10k')).toEqual([2, 0]);
    expect(get(r, 'day', '2026-03-01T00:00:00Z', 'upheld_complaints_per_10k')).toEqual([1, 0]);
    expect(get(r, 'day', '2026-03-01T00:00:00Z', 'complaints_per_10k', 'b', 'p', 'HOTLINE')).toEqual([1, 0]);
    // Nothing at the UPHELD's own time or dims, and no denominators (those come from contacts).
    expect([...r.metrics.keys()].filter((k) => !k.includes('2026-03-01'))).toEqual([]);
    expect([...r.metrics.values()].every(([, den]) => den === 0)).toBe(true);
    expect(r.deadLetters).toEqual([]);
    // Kept long: the complaints are all still in state.
    expect([...r.state.entries('complaint:')]).toHaveLength(3);
  });

  it('counts a complaint upheld once however many UPHELD; redeliveries are duplicates', () => {
    const f = complaint('K', 'FILED', '2026-03-01T10:00:00Z');
    const u1 = complaint('K', 'UPHELD', '2026-03-05T10:00:00Z');
    const u2 = complaint('K', 'UPHELD', '2026-03-05T20:00:00Z');
    const j1 = complaint('K', 'REJECTED', '2026-03-06T10:00:00Z');
    const j2 = complaint('K', 'REJECTED', '2026-03-06T11:00:00Z');
    const rec = recorded(logic);
    const r = runLogic(rec.logic, byDay([f, { ...f }], [u1, { ...u1 }], [u2, j1, j2, { ...j1 }]));
    expect(get(r, 'day', '2026-03-01T00:00:00Z', 'complaints_per_10k')).toEqual([1, 0]);
    expect(get(r, 'day', '2026-03-01T00:00:00Z', 'upheld_complaints_per_10k')).toEqual([1, 0]);
    expect(rec.results.get(f.event_id)).toEqual([{ kind: 'ok' }, { kind: 'drop', why: 'duplicate' }]);
    expect(rec.results.get(u1.event_id)).toEqual([{ kind: 'ok' }, { kind: 'drop', why: 'duplicate' }]);
    expect(rec.results.get(u2.event_id)).toEqual([{ kind: 'drop', why: 'duplicate' }]);
    expect(rec.results.get(j1.event_id)).toEqual([{ kind: 'ok' }, { kind: 'drop', why: 'duplicate' }]);
    expect(rec.results.get(j2.event_id)).toEqual([{ kind: 'drop', why: 'duplicate' }]);
    expect(r.deadLetters).toEqual([]);
  });

  it('dead-letters a second FILED as invalid; the first in event time counts whatever the arrival order', () => {
    const first = complaint('K', 'FILED', '2026-03-01T10:59:00Z');
    const second = complaint('K', 'FILED', '2026-03-01T11:20:00Z', { channel: 'WEB' });
    const up = complaint('K', 'UPHELD', '2026-03-01T11:30:00Z');
    const inOrder = runLogic(logic, [[first, second, up]], { idleCloseAt: at('2026-03-02T00:00:00Z') });
    const reversed = runLogic(logic, [[up], [second], [first]], { idleCloseAt: at('2026-03-02T00:00:00Z') });
    const rec = recorded(logic);
    const mixed = runLogic(rec.logic, [[second, up], [first, { ...second }]], { idleCloseAt: at('2026-03-02T00:00:00Z') });
    const again = runLogic(logic, [[second, { ...second }, up], [first]], { idleCloseAt: at('2026-03-02T00:00:00Z') });
    const twice = runLogic(logic, [[first, second, { ...second }, up]], { idleCloseAt: at('2026-03-02T00:00:00Z') });
    for (const r of [inOrder, reversed, mixed, again, twice]) {
      expect(figures(r)).toEqual({
        'minute|2026-03-01T10:59:00.000Z|complaints_per_10k|b|p|APP': [1, 0],
        'minute|2026-03-01T10:59:00.000Z|upheld_complaints_per_10k|b|p|APP': [1, 0],
        'hour|2026-03-01T10:00:00.000Z|complaints_per_10k|b|p|APP': [1, 0],
        'hour|2026-03-01T10:00:00.000Z|upheld_complaints_per_10k|b|p|APP': [1, 0],
        'day|2026-03-01T00:00:00.000Z|complaints_per_10k|b|p|APP': [1, 0],
        'day|2026-03-01T00:00:00.000Z|upheld_complaints_per_10k|b|p|APP': [1, 0],
      });
      expect(r.deadLetters).toEqual([{ event_id: second.event_id, reason: 'invalid', detail: `complaint K was already FILED (event ${first.event_id})` }]);
    }
    // The later FILED arrived first: counted, then replaced (its figures retracted) and dead-lettered.
    expect(get(mixed, 'hour', '2026-03-01T11:00:00Z', 'complaints_per_10k', 'b', 'p', 'WEB') ?? [0, 0]).toEqual([0, 0]);
    // …and its redelivery is a duplicate, not a second dead letter.
    expect(rec.results.get(second.event_id)).toEqual([{ kind: 'ok' }, { kind: 'drop', why: 'duplicate' }]);
    expect(rec.results.get(first.event_id)).toEqual([{ kind: 'ok' }]);
  });

  it('keeps UPHELD / REJECTED waiting for their FILED, and dead-letters them as orphans once the horizon passes them', () => {
    const up = complaint('K', 'UPHELD', '2026-03-01T10:00:00Z');
    const r = runLogic(logic, [[up], [complaint('K', 'FILED', '2026-03-01T10:30:00Z')]], { idleCloseAt: at('2026-03-05T00:00:00Z') });
    expect(get(r, 'day', '2026-03-01T00:00:00Z', 'upheld_complaints_per_10k')).toEqual([1, 0]);
    expect(r.deadLetters).toEqual([]);

    const lone = complaint('X', 'UPHELD', '2026-03-01T10:00:00Z');
    const rej = complaint('Y', 'REJECTED', '2026-03-01T10:20:00Z');
    const mover = complaint('Z', 'FILED', '2026-03-01T11:10:00Z'); // horizon 10:10: X's UPHELD is passed
    const o = runLogic(logic, [[lone, rej], [mover], [complaint('X', 'FILED', '2026-03-01T10:15:00Z')]], { idleCloseAt: at('2026-03-01T10:30:00Z') });
    expect(deadLetterLines(o)).toEqual([`${lone.event_id}|orphan|complaint X has no FILED`, `${rej.event_id}|orphan|complaint Y has no FILED`].sort());
    expect(get(o, 'day', '2026-03-01T00:00:00Z', 'complaints_per_10k')).toEqual([2, 0]);
    expect(get(o, 'day', '2026-03-01T00:00:00Z', 'upheld_complaints_per_10k') ?? [0, 0]).toEqual([0, 0]);
    // The same with closeWindows only at the end: identical.
    const one = runLogic(logic, [[lone, rej, mover, complaint('X', 'FILED', '2026-03-01T10:15:00Z')]], { idleCloseAt: at('2026-03-01T10:30:00Z') });
    expect(figures(one)).toEqual(figures(o));
    expect(one.deadLetters.map((d) => d.event_id).sort()).toEqual(o.deadLetters.map((d) => d.event_id).sort());
    // Waiting alone: nothing counted, nothing left in state after the idle close.
    const alone = runLogic(logic, [[lone, rej]], { idleCloseAt: at('2026-03-02T00:00:00Z') });
    expect(alone.metrics.size).toBe(0);
    expect([...alone.state.entries('complaint')]).toEqual([]);
  });

  it('an idle flush dead-letters the waiting outcomes its horizon passed; kept complaints without an UPHELD bound the upheld figures', () => {
    const events = [complaint('A', 'FILED', '2026-03-01T09:00:00Z'), complaint('X', 'REJECTED', '2026-03-01T10:20:00Z'), complaint('Y', 'UPHELD', '2026-03-01T10:05:00Z')];
    const idle = runLogic(logic, [events], { idleCloseAt: at('2026-03-01T10:10:00Z') });
    expect(idle.deadLetters.map((d) => d.detail)).toEqual(['complaint Y has no FILED']);
    const settled = (r: HarnessResult, horizon: number) => settledAt(logic, r, horizon);
    // A is kept without an UPHELD: its day bounds the upheld figure; complaints_per_10k follows the horizon.
    expect(settled(idle, at('2026-03-01T10:10:00Z'))).toEqual({ upheld_complaints_per_10k: at('2026-03-01T00:00:00Z') });
    const upheld = runLogic(logic, [[...events, complaint('A', 'UPHELD', '2026-03-01T10:30:00Z')]]);
    expect(settled(upheld, at('2026-03-01T09:30:00Z'))).toEqual({ upheld_complaints_per_10k: at('2026-03-01T09:30:00Z') });
  });

  it('forgets a complaint 400 days after its FILED (stream time); an UPHELD after that is an orphan', () => {
    const f = complaint('K', 'FILED', '2026-03-01T10:00:00Z');
    const expiry = f.event_time + COMPLAINT_EXPIRY_MS;
    const kept = runLogic(logic, [[f], [complaint('Z', 'FILED', expiry + L)]]);
    expect(kept.state.get(complaintKey('K'))).toBeDefined();
    const gone = runLogic(logic, [[f], [complaint('Z', 'FILED', expiry + L + 1)]]);
    expect(gone.state.get(complaintKey('K'))).toBeUndefined();
    const up = complaint('K', 'UPHELD', expiry + 60_000);
    const r = runLogic(logic, [[f], [complaint('Z', 'FILED', expiry + L + 1), up]], { idleCloseAt: expiry + 2 * DAY });
    expect(r.deadLetters.map((d) => [d.event_id, d.reason])).toEqual([[up.event_id, 'orphan']]);
    expect(get(r, 'day', '2026-03-01T00:00:00Z', 'upheld_complaints_per_10k') ?? [0, 0]).toEqual([0, 0]);
    // Before that, an UPHELD months later still counts in the FILED bucket.
    const late = runLogic(logic, [[f], [complaint('K', 'UPHELD', '2026-12-01T00:00:00Z')]]);
    expect(get(late, 'day', '2026-03-01T00:00:00Z', 'upheld_complaints_per_10k')).toEqual([1, 0]);
  });

  it('dead-letters a replaced FILED with its original offset and bytes', () => {
    const later = complaint('K', 'FILED', '2026-03-01T10:30:00Z');
    const earlier = complaint('K', 'FILED', '2026-03-01T10:10:00Z');
    const state = new TrackedState();
    const out = new FlushOutputs(new Buckets('UTC'), 0);
    const ctx: StepContext = { topic: 'cs.complaints', kafkaTopic: 'cs.complaints', partition: 2, rules: RULES, state, emit: out, streamTime: later.event_time, horizon: later.event_time - L };
    const msg = (e: ComplaintEvent, offset: number): ConsumedMessage => ({ topic: 'cs.complaints', partition: 2, offset: String(offset), key: Buffer.from('K'), value: encodeEvent('cs.complaints', e), timestamp: 0 });
    expect(complaintsLogic.onEvent(ctx, later, msg(later, 77))).toEqual({ kind: 'ok' });
    expect(complaintsLogic.onEvent(ctx, earlier, msg(earlier, 78))).toEqual({ kind: 'ok' });
    expect(out.deadLetters).toHaveLength(1);
    const d = out.deadLetters[0]!;
    expect([d.partition, d.offset, d.reason, d.key, d.event_id]).toEqual([2, 77, 'invalid', 'K', later.event_id]);
    const decoded = decodeEvent('cs.complaints', Buffer.from(d.payload_base64, 'base64'));
    expect(decoded.ok && decoded.event).toEqual(later);
    const s = state.get<ComplaintState>(complaintKey('K'))!;
    expect(s.filed?.event.event_id).toBe(earlier.event_id);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  it('gives identical figures and dead letters for shuffled arrival within the lateness and any flush boundaries', () => {
    const rand = mulberry32(7);
    const events: ComplaintEvent[] = [];
    const start = at('2026-03-01T20:00:00Z');
    const want = new Map<string, number>();
    const add = (k: string, v: number) => want.set(k, (want.get(k) ?? 0) + v);
    for (let i = 0; i < 300; i++) {
      const id = `k${i}`;
      const t0 = start + Math.floor(rand() * 6 * 3_600_000);
      const channel = rand() < 0.5 ? 'APP' : 'WEB';
      const own: ComplaintEvent[] = [];
      const noFiled = rand() < 0.05;
      if (!noFiled) own.push(complaint(id, 'FILED', t0, { channel }));
      // The outcomes here come within hours, so shuffling within the lateness mixes them with FILEDs.
      const r = rand();
      let upheld = false;
      if (r < 0.4) {
        own.push(complaint(id, 'UPHELD', t0 + Math.floor(rand() * 3 * 3_600_000), { channel }));
        upheld = true;
        if (rand() < 0.2) own.push(complaint(id, 'UPHELD', t0 + Math.floor(rand() * 3 * 3_600_000), { channel }));
      } else if (r < 0.8) own.push(complaint(id, 'REJECTED', t0 + Math.floor(rand() * 3 * 3_600_000), { channel }));
      if (!noFiled && rand() < 0.05) own.push(complaint(id, 'FILED', t0 + Math.floor(rand() * 600_000), { channel: 'OTHER' })); // a second FILED
      if (!noFiled) {
        const day = Math.floor(t0 / DAY) * DAY;
        add(metricKey('day', day, 'complaints_per_10k', 'b', 'p', channel), 1);
        if (upheld) add(metricKey('day', day, 'upheld_complaints_per_10k', 'b', 'p', channel), 1);
      }
      for (const e of own) {
        events.push(e);
        if (rand() < 0.05) events.push({ ...e });
      }
    }
    const inOrder = [...events].sort((a, b) => a.event_time - b.event_time);
    const shuffled = shuffleWithinLateness(events, 0.9 * L, rand);
    const idle = { idleCloseAt: at('2026-03-05T00:00:00Z') };
    const runs = [
      runLogic(logic, [inOrder], idle),
      runLogic(logic, [shuffled], idle),
      runLogic(logic, shuffled.map((e) => [e]), idle),
      runLogic(logic, randomBatches(shuffled, rand, 30), idle),
    ];
    const [first, ...rest] = runs;
    expect(new Set(first!.deadLetters.map((d) => d.reason))).toEqual(new Set(['orphan', 'invalid']));
    for (const r of rest) {
      expect(figures(r)).toEqual(figures(first!));
      expect(deadLetterLines(r)).toEqual(deadLetterLines(first!));
    }
    const day = Object.entries(figures(first!)).filter(([k]) => k.startsWith('day|'));
    expect(Object.fromEntries(day)).toEqual(Object.fromEntries([...want].map(([k, v]) => [k, [v, 0]])));
  });
});
