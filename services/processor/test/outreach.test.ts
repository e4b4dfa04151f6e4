import { describe, expect, it } from 'vitest';
import type { TopicLogic } from '../src/engine/types.ts';
import type { OutreachEvent } from '@cs/schemas';
import { outreachLogic, type OutreachUserState } from '../src/logic/outreach.ts';
import { continueRun, latestRows, runLogic, summarize, settledAt, type HarnessResult } from './harness.ts';
import { mulberry32, randomBatches, shuffleWithinLateness } from './random.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MIN = 60_000;
const at = (iso: string) => Date.parse(iso);
const T0 = at('2026-03-01T10:00:00Z');

let n = 0;
const ev = (type: OutreachEvent['type'], time: number, extra: Partial<OutreachEvent> = {}): OutreachEvent => ({
  event_id: `e${String(++n).padStart(6, '0')}`,
  event_time: time,
  business_unit: 'bu',
  product: 'p',
  type,
  outreach_id: type === 'CONTACTED' ? `o${n}` : null,
  user_id: 'u1',
  campaign: 'winback',
  channel: 'SMS',
  ...extra,
});

const rate = (r: HarnessResult, grain: string, bucket: string, dims = 'bu|p|SMS') => r.metrics.get(`${grain}|${bucket}|outreach_retention_rate|${dims}`);
const rows = (r: HarnessResult) => latestRows(r, 'outreach_outcomes', 'outreach_id');
const settled = (r: HarnessResult, streamTime: number) => settledAt(outreachLogic as TopicLogic, r, streamTime - HOUR).outreach_retention_rate;
const openKeys = (r: HarnessResult) => [...r.state.entries('o:')].map(([k]) => k);

describe('outreach logic', () => {
  it.each([
    ['day 29', 29 * DAY, 'RETAINED', [1, 1]],
    ['day 30 (just inside)', 30 * DAY - 1, 'RETAINED', [1, 1]],
    ['exactly at the window end (inclusive)', 30 * DAY, 'RETAINED', [1, 1]],
    ['1 ms after the window end', 30 * DAY + 1, 'NONE', [0, 1]],
    ['day 31', 31 * DAY, 'NONE', [0, 1]],
  ] as const)('RETAINED on %s', (_name, delay, outcome, expected) => {
    const contacted = ev('CONTACTED', T0);
    const retained = ev('RETAINED', T0 + delay, { product: 'other' }); // any product of the user counts
    const r = runLogic(outreachLogic, [[contacted], [retained]], { idleCloseAt: T0 + 40 * DAY });
    expect(rate(r, 'day', '2026-03-01T00:00:00.000Z')).toEqual(expected);
    expect(rate(r, 'hour', '2026-03-01T10:00:00.000Z')).toEqual(expected);
    expect(rate(r, 'minute', '2026-03-01T10:00:00.000Z')).toEqual(expected);
    expect(rows(r)).toEqual([
      {
        outreach_id: contacted.outreach_id,
        user_id: 'u1',
        business_unit: 'bu',
        product: 'p',
        channel: 'SMS',
        campaign: 'winback',
        contacted_at: T0,
        outcome,
        outcome_at: outcome === 'NONE' ? null : T0 + delay,
        retained: outcome === 'RETAINED',
        final: true,
      },
    ]);
    // Nothing left open: the outcome stays only until stream time passes it.
    expect(r.state.get<OutreachUserState>('o:u1')?.open ?? []).toEqual([]);
    expect(r.deadLetters).toEqual([]);
  });

  it('an outcome decides at once (live); the decision is final once the horizon passes it', () => {
    const c = ev('CONTACTED', T0);
    const churned = ev('CHURNED', T0 + 2 * DAY);
    // Stream time at the outcome + 59 min: counted, not final (an earlier outcome may still come).
    const streamTime = T0 + 2 * DAY + 59 * MIN;
    let r = runLogic(outreachLogic, [[c, churned, ev('CONTACTED', streamTime, { user_id: 'u2' })]]);
    expect(rows(r).map((x) => [x.user_id, x.outcome, x.retained, x.final])).toEqual([['u1', 'CHURNED', false, false]]);
    expect(rate(r, 'day', '2026-03-01T00:00:00.000Z')).toEqual([0, 1]);
    expect(settled(r, streamTime)).toBe(T0); // c is still open: its hour bounds what is final
    // One more minute of stream time: final; u2 still waits for an outcome or its window end.
    r = runLogic(outreachLogic, [[c, churned, ev('CONTACTED', T0 + 2 * DAY + HOUR + 1, { user_id: 'u2' })]]);
    expect(rows(r).map((x) => [x.user_id, x.outcome, x.retained, x.final])).toEqual([['u1', 'CHURNED', false, true]]);
    expect(rate(r, 'day', '2026-03-01T00:00:00.000Z')).toEqual([0, 1]);
    expect(settled(r, T0 + 2 * DAY + HOUR + 1)).toBe(T0 + 2 * DAY + HOUR); // u2's hour (the engine caps it at the horizon)
  });

  it('an earlier outcome arriving later (within the lateness) replaces a live decision: retracted, counted once', () => {
    const c = ev('CONTACTED', T0);
    const retained = ev('RETAINED', T0 + 2 * HOUR);
    const churnedEarlier = ev('CHURNED', T0 + 90 * MIN);
    const r1 = runLogic(outreachLogic, [[c, retained]]);
    expect(rate(r1, 'day', '2026-03-01T00:00:00.000Z')).toEqual([1, 1]);
    expect(rows(r1).map((x) => [x.outcome, x.final])).toEqual([['RETAINED', false]]);
    const r2 = continueRun(outreachLogic, r1, [[churnedEarlier]]);
    expect(r2.deadLetters).toEqual([]);
    // The new run's sums are the correction: −1/−1 for RETAINED, +0/+1 for CHURNED.
    expect(rate(r2, 'day', '2026-03-01T00:00:00.000Z')).toEqual([-1, 0]);
    expect(rows(r2).map((x) => [x.outcome, x.retained, x.final])).toEqual([['CHURNED', false, false]]);
  });

  it('with no outcome, decides NONE once the horizon passes CONTACTED + window', () => {
    const c = ev('CONTACTED', T0);
    const r1 = runLogic(outreachLogic, [[c], [ev('CONTACTED', T0 + 30 * DAY + HOUR, { user_id: 'u2' })]]);
    expect(rows(r1)).toEqual([]); // horizon = T0 + 30 d exactly: not past it
    const r2 = runLogic(outreachLogic, [[c], [ev('CONTACTED', T0 + 30 * DAY + HOUR + 1, { user_id: 'u2' })]]);
    expect(rows(r2).map((x) => [x.outcome, x.outcome_at, x.retained])).toEqual([['NONE', null, false]]);
  });

  it('takes the first outcome in the window; ties by event_id; ignores outcomes before CONTACTED', () => {
    const c = ev('CONTACTED', T0);
    const before = ev('RETAINED', T0 - 1);
    const churnedLater = ev('CHURNED', T0 + 3 * DAY);
    const retainedFirst = ev('RETAINED', T0 + 1 * DAY);
    let r = runLogic(outreachLogic, [[before, c, retainedFirst], [churnedLater]], { idleCloseAt: T0 + 40 * DAY });
    expect(rows(r).map((x) => [x.outcome, x.outcome_at])).toEqual([['RETAINED', T0 + DAY]]);
    // Same instant: the smaller event_id wins, whatever the arrival order.
    const a = ev('CHURNED', T0 + DAY, { event_id: 'a' });
    const b = ev('RETAINED', T0 + DAY, { event_id: 'b' });
    r = runLogic(outreachLogic, [[c, b, a]], { idleCloseAt: T0 + 40 * DAY });
    expect(rows(r).map((x) => [x.outcome, x.retained])).toEqual([['CHURNED', false]]);
    // An outcome only before the CONTACTED: no outcome in the window.
    r = runLogic(outreachLogic, [[before, c]], { idleCloseAt: T0 + 40 * DAY });
    expect(rows(r).map((x) => x.outcome)).toEqual(['NONE']);
  });

  it('an outcome arriving before its (earlier) CONTACTED, shuffled within the lateness, still decides it', () => {
    const c = ev('CONTACTED', T0);
    const retained = ev('RETAINED', T0 + 20 * MIN);
    const r = runLogic(outreachLogic, [[retained], [c]], { idleCloseAt: T0 + DAY });
    expect(r.deadLetters).toEqual([]);
    expect(rows(r).map((x) => [x.outcome, x.retained])).toEqual([['RETAINED', true]]);
    expect(rate(r, 'hour', '2026-03-01T10:00:00.000Z')).toEqual([1, 1]);
  });

  it('one outcome decides several CONTACTED of the user, each in its own bucket and dimensions', () => {
    const c1 = ev('CONTACTED', T0, { channel: 'SMS' });
    const c2 = ev('CONTACTED', T0 + DAY, { channel: 'PHONE', product: 'q' });
    const c3 = ev('CONTACTED', T0 + 5 * DAY); // after the outcome: not served by it
    const retained = ev('RETAINED', T0 + 2 * DAY);
    const r = runLogic(outreachLogic, [[c1, c2, retained, c3]], { idleCloseAt: T0 + 60 * DAY });
    expect(rate(r, 'day', '2026-03-01T00:00:00.000Z')).toEqual([1, 1]);
    expect(rate(r, 'day', '2026-03-02T00:00:00.000Z', 'bu|q|PHONE')).toEqual([1, 1]);
    expect(rate(r, 'day', '2026-03-06T00:00:00.000Z')).toEqual([0, 1]);
    expect(rows(r).map((x) => [x.outreach_id, x.outcome]).sort()).toEqual([
      [c1.outreach_id, 'RETAINED'],
      [c2.outreach_id, 'RETAINED'],
      [c3.outreach_id, 'NONE'],
    ].sort());
  });

  it('drops redelivered events and counts each outreach once', () => {
    const c = ev('CONTACTED', T0);
    const retained = ev('RETAINED', T0 + HOUR);
    const r = runLogic(outreachLogic, [[c, c, retained], [retained, c]], { idleCloseAt: T0 + 40 * DAY });
    expect(rate(r, 'day', '2026-03-01T00:00:00.000Z')).toEqual([1, 1]);
    expect(rows(r)).toHaveLength(1);
    expect(r.deadLetters).toEqual([]);
  });

  it('keeps state bounded: outcomes without outreach are forgotten once past the horizon', () => {
    const r = runLogic(outreachLogic, [[ev('RETAINED', T0), ev('CHURNED', T0 + MIN, { user_id: 'u2' })], [ev('CONTACTED', T0 + 3 * HOUR, { user_id: 'u3' })]]);
    expect(openKeys(r)).toEqual(['o:u3']);
    const u3 = r.state.get<OutreachUserState>('o:u3')!;
    expect(u3.filed).toBe(Math.floor((T0 + 3 * HOUR + 30 * DAY) / HOUR)); // filed for its window end
    expect(JSON.parse(JSON.stringify(u3))).toEqual(u3);
    // Dedup ids are forgotten too.
    expect([...r.state.entries('d:')].every(([k]) => Number(k.slice(2)) * MIN >= T0 + HOUR)).toBe(true);
  });

  it('gives identical results whatever the arrival order (within the lateness) and flush boundaries', () => {
    const events = generate(7);
    const reference = summary(runLogic(outreachLogic, [events], { idleCloseAt: T0 + 200 * DAY }));
    expect(reference.rows.length).toBeGreaterThan(50);
    expect(reference.rows.some((x) => x.includes('RETAINED'))).toBe(true);
    expect(reference.rows.some((x) => x.includes('CHURNED'))).toBe(true);
    expect(reference.rows.some((x) => x.includes('NONE'))).toBe(true);
    for (let seed = 1; seed <= 12; seed++) {
      const rnd = mulberry32(seed);
      const shuffled = shuffleWithinLateness(events, 0.95 * HOUR, rnd);
      const r = runLogic(outreachLogic, randomBatches(shuffled, rnd, 12), { idleCloseAt: T0 + 200 * DAY });
      expect(summary(r)).toEqual(reference);
    }
  });

  it('closes its 30-day windows in idle steps with the same results as in one idle flush', () => {
    const events = generate(7);
    const oneFlush = runLogic(outreachLogic, [events], { idleCloseAt: T0 + 200 * DAY });
    const stepped = runLogic(outreachLogic, [events], { idleCloseAt: T0 + 200 * DAY, idleCloseStepMs: HOUR });
    expect(oneFlush.idleFlushes).toBe(1);
    // Few windows are still open at the last event (the rest closed as stream time passed them).
    expect(stepped.idleFlushes).toBeGreaterThan(1);
    expect(summary(stepped)).toEqual(summary(oneFlush));
  });
});

/** The harness summary plus the outcome rows, order-free. */
function summary(r: HarnessResult) {
  const rs = rows(r)
    .map((x) => JSON.stringify([x.outreach_id, x.user_id, x.contacted_at, x.outcome, x.outcome_at, x.retained, x.product, x.channel, x.final]))
    .sort();
  return { ...summarize(r), rows: rs };
}

/** Users with outreaches and outcomes over ~90 days, many of them minutes apart and on window edges. */
function generate(seed: number): OutreachEvent[] {
  const rnd = mulberry32(seed);
  const events: OutreachEvent[] = [];
  for (let u = 0; u < 40; u++) {
    const user = `u${u}`;
    let t = T0 + Math.floor(rnd() * 5 * DAY);
    const count = 1 + Math.floor(rnd() * 6);
    for (let i = 0; i < count; i++) {
      const c = ev('CONTACTED', t, { user_id: user, channel: rnd() < 0.5 ? 'SMS' : 'PHONE', product: rnd() < 0.5 ? 'p' : 'q' });
      events.push(c);
      const r = rnd();
      if (r < 0.7) {
        const delays = [30 * DAY, 30 * DAY + 1, 0, 20 * MIN, Math.floor(rnd() * 35 * DAY)];
        const delay = delays[Math.floor(rnd() * delays.length)]!;
        events.push(ev(rnd() < 0.5 ? 'RETAINED' : 'CHURNED', t + delay, { user_id: user }));
      }
      if (r < 0.2) events.push(ev('CHURNED', t + Math.floor(rnd() * 3 * HOUR), { user_id: user }));
      t += Math.floor(rnd() * 10 * DAY);
    }
  }
  return events.sort((a, b) => a.event_time - b.event_time);
}
