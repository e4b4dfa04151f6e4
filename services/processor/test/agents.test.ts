import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '@cs/schemas';
import { Buckets } from '../src/buckets.ts';
import { agentsLogic, overlaps, type AgentState } from '../src/logic/agents.ts';
import { continueRun, runLogic, summarize, type HarnessResult } from './harness.ts';
import { mulberry32, randomBatches, shuffleWithinLateness } from './random.ts';

const HOUR = 3_600_000;
const MIN = 60_000;
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

let n = 0;
const ev = (type: AgentEvent['type'], time: number | string, extra: Partial<AgentEvent> = {}): AgentEvent => ({
  event_id: `e${String(++n).padStart(6, '0')}`,
  event_time: typeof time === 'string' ? at(time) : time,
  business_unit: 'bu',
  product: 'all',
  type,
  agent_id: 'a1',
  site_type: 'IN_HOUSE',
  ...extra,
});
const IN = (time: number | string, extra: Partial<AgentEvent> = {}) => ev('LOGGED_IN', time, extra);
const OUT = (time: number | string, extra: Partial<AgentEvent> = {}) => ev('LOGGED_OUT', time, extra);

const m = (r: HarnessResult, grain: string, bucket: string, metric: 'staffed_hours' | 'headcount', dims = 'bu|IN_HOUSE|') => r.metrics.get(`${grain}|${bucket}|${metric}|${dims}`);
/** The sums of a metric over one grain. */
const sums = (r: HarnessResult, grain: string, metric: string) => [...r.metrics].filter(([k]) => k.startsWith(`${grain}|`) && k.includes(`|${metric}|`)).map(([, v]) => v);
/** Sum of a metric's numerators over one grain. */
const total = (r: HarnessResult, grain: string, metric: string) => sums(r, grain, metric).reduce((s, v) => s + v[0], 0);
const count = (r: HarnessResult, grain: string, metric: string) => sums(r, grain, metric).length;
const END = at('2026-03-10T00:00:00Z');

describe('bucket helpers', () => {
  it('finds the next bucket start, also on DST days and in half-hour zones', () => {
    const ny = new Buckets('America/New_York');
    const day = ny.start(at('2026-03-08T12:00:00Z'), 'day');
    expect((ny.end(day, 'day') - day) / HOUR).toBe(23);
    const fall = ny.start(at('2026-11-01T12:00:00Z'), 'day');
    expect((ny.end(fall, 'day') - fall) / HOUR).toBe(25);
    const kolkata = new Buckets('Asia/Kolkata');
    const h = kolkata.start(at('2026-03-01T10:40:00Z'), 'hour');
    expect(iso(h)).toBe('2026-03-01T10:30:00.000Z');
    expect(iso(kolkata.end(h, 'hour'))).toBe('2026-03-01T11:30:00.000Z');
    expect([...overlaps(kolkata, at('2026-03-01T10:40:00Z'), at('2026-03-01T12:00:00Z'), 'hour')].map((o) => [iso(o.bucket), o.ms / MIN])).toEqual([
      ['2026-03-01T10:30:00.000Z', 50],
      ['2026-03-01T11:30:00.000Z', 30],
    ]);
  });
});

describe('agents logic', () => {
  it('splits a shift across midnight in Asia/Shanghai: 2.5 h + 1.5 h into two days', () => {
    // 21:30 → 01:30 local (UTC+8).
    const r = runLogic(agentsLogic, [[IN('2026-03-01T13:30:00Z'), OUT('2026-03-01T17:30:00Z')]], { rules: { timeZone: 'Asia/Shanghai' }, idleCloseAt: END });
    expect(m(r, 'day', '2026-02-28T16:00:00.000Z', 'staffed_hours')).toEqual([2.5, 0]);
    expect(m(r, 'day', '2026-03-01T16:00:00.000Z', 'staffed_hours')).toEqual([1.5, 0]);
    expect(m(r, 'day', '2026-02-28T16:00:00.000Z', 'headcount')).toEqual([1, 0]);
    expect(m(r, 'day', '2026-03-01T16:00:00.000Z', 'headcount')).toEqual([1, 0]);
    expect(m(r, 'hour', '2026-03-01T13:00:00.000Z', 'staffed_hours')).toEqual([0.5, 0]); // 21:00 local
    expect(m(r, 'hour', '2026-03-01T14:00:00.000Z', 'staffed_hours')).toEqual([1, 0]);
    expect(m(r, 'hour', '2026-03-01T17:00:00.000Z', 'staffed_hours')).toEqual([0.5, 0]); // 01:00 local
    expect(count(r, 'hour', 'staffed_hours')).toBe(5);
    expect(count(r, 'hour', 'headcount')).toBe(5);
    expect(total(r, 'hour', 'headcount')).toBe(5);
    expect(count(r, 'minute', 'staffed_hours')).toBe(240);
    expect(total(r, 'minute', 'headcount')).toBe(240);
    expect(total(r, 'minute', 'staffed_hours')).toBeCloseTo(4, 9);
    expect(m(r, 'minute', '2026-03-01T13:30:00.000Z', 'staffed_hours')?.[0]).toBeCloseTo(1 / 60, 12);
    expect(r.deadLetters).toEqual([]);
  });

  it('counts real hours on a 23-hour DST day (America/New_York)', () => {
    // 00:00 → 05:00 local on 8 March 2026 is 4 real hours (02:00 → 03:00 does not exist).
    const r = runLogic(agentsLogic, [[IN('2026-03-08T05:00:00Z'), OUT('2026-03-08T09:00:00Z')]], { rules: { timeZone: 'America/New_York' }, idleCloseAt: END });
    expect(m(r, 'day', '2026-03-08T05:00:00.000Z', 'staffed_hours')).toEqual([4, 0]);
    expect(count(r, 'hour', 'headcount')).toBe(4);
  });

  it('caps a shift at 12 h, without and with a later LOGGED_OUT (which is then no orphan)', () => {
    const noOut = runLogic(agentsLogic, [[IN('2026-03-01T08:00:00Z')]], { idleCloseAt: END });
    expect(m(noOut, 'day', '2026-03-01T00:00:00.000Z', 'staffed_hours')).toEqual([12, 0]);
    expect(m(noOut, 'hour', '2026-03-01T19:00:00.000Z', 'staffed_hours')).toEqual([1, 0]);
    expect(m(noOut, 'hour', '2026-03-01T20:00:00.000Z', 'staffed_hours')).toBeUndefined();
    const lateOut = runLogic(agentsLogic, [[IN('2026-03-01T08:00:00Z')], [OUT('2026-03-01T22:00:00Z')]], { idleCloseAt: END });
    expect(m(lateOut, 'day', '2026-03-01T00:00:00.000Z', 'staffed_hours')).toEqual([12, 0]);
    expect(lateOut.deadLetters).toEqual([]);
  });

  it('ends a shift at the next LOGGED_IN, which starts a new one with its own dimensions', () => {
    const r = runLogic(agentsLogic, [[IN('2026-03-01T08:00:00Z'), IN('2026-03-01T10:00:00Z', { business_unit: 'bu2', site_type: 'OUTSOURCED' }), OUT('2026-03-01T11:00:00Z')]], { idleCloseAt: END });
    expect(m(r, 'day', '2026-03-01T00:00:00.000Z', 'staffed_hours')).toEqual([2, 0]);
    expect(m(r, 'day', '2026-03-01T00:00:00.000Z', 'staffed_hours', 'bu2|OUTSOURCED|')).toEqual([1, 0]);
    // Per (business_unit, site_type): counted once in each.
    expect(m(r, 'day', '2026-03-01T00:00:00.000Z', 'headcount')).toEqual([1, 0]);
    expect(m(r, 'day', '2026-03-01T00:00:00.000Z', 'headcount', 'bu2|OUTSOURCED|')).toEqual([1, 0]);
    expect(r.deadLetters).toEqual([]);
  });

  it('dead-letters a LOGGED_OUT whose previous event is not a LOGGED_IN as orphan, once the horizon passes it', () => {
    const lone = OUT('2026-03-01T09:30:00Z', { agent_id: 'a2' });
    const second = OUT('2026-03-01T12:00:00Z');
    // Stream time 10:00: the horizon (09:00) has not passed 09:30 yet — a LOGGED_IN before it could still come.
    const notYet = runLogic(agentsLogic, [[IN('2026-03-01T09:00:00Z'), OUT('2026-03-01T10:00:00Z'), lone]]);
    expect(notYet.deadLetters).toEqual([]);
    const rescued = runLogic(agentsLogic, [[lone, IN('2026-03-01T09:10:00Z', { agent_id: 'a2' })]], { idleCloseAt: END });
    expect(rescued.deadLetters).toEqual([]);
    expect(m(rescued, 'day', '2026-03-01T00:00:00.000Z', 'staffed_hours')?.[0]).toBeCloseTo(20 / 60, 12);
    const r = runLogic(agentsLogic, [[IN('2026-03-01T09:00:00Z'), lone, OUT('2026-03-01T10:00:00Z'), second]], { idleCloseAt: END });
    expect(r.deadLetters.map((d) => [d.event_id, d.reason])).toEqual([
      [lone.event_id, 'orphan'],
      [second.event_id, 'orphan'],
    ]);
    expect(m(r, 'day', '2026-03-01T00:00:00.000Z', 'staffed_hours')).toEqual([1, 0]);
  });

  it('orders LOGGED_OUT before LOGGED_IN at the same instant', () => {
    const r = runLogic(agentsLogic, [[IN('2026-03-01T08:00:00Z'), IN('2026-03-01T10:00:00Z'), OUT('2026-03-01T10:00:00Z'), OUT('2026-03-01T11:00:00Z')]], { idleCloseAt: END });
    expect(m(r, 'day', '2026-03-01T00:00:00.000Z', 'staffed_hours')).toEqual([3, 0]);
    expect(r.deadLetters).toEqual([]);
  });

  it('counts an agent once per bucket even across two shifts in one hour', () => {
    const r = runLogic(
      agentsLogic,
      [[IN('2026-03-01T10:00:00Z'), OUT('2026-03-01T10:20:30Z'), IN('2026-03-01T10:20:45Z'), OUT('2026-03-01T10:30:00Z'), IN('2026-03-01T10:40:00Z'), OUT('2026-03-01T11:10:00Z')]],
      { idleCloseAt: END },
    );
    expect(m(r, 'hour', '2026-03-01T10:00:00.000Z', 'headcount')).toEqual([1, 0]);
    expect(m(r, 'hour', '2026-03-01T11:00:00.000Z', 'headcount')).toEqual([1, 0]);
    expect(m(r, 'day', '2026-03-01T00:00:00.000Z', 'headcount')).toEqual([1, 0]);
    expect(m(r, 'minute', '2026-03-01T10:20:00.000Z', 'headcount')).toEqual([1, 0]); // in two shifts in that minute
    expect(m(r, 'minute', '2026-03-01T10:20:00.000Z', 'staffed_hours')?.[0]).toBeCloseTo(45 / 3600, 12);
    expect(m(r, 'minute', '2026-03-01T10:35:00.000Z', 'headcount')).toBeUndefined();
    expect(m(r, 'hour', '2026-03-01T10:00:00.000Z', 'staffed_hours')?.[0]).toBeCloseTo((20.5 + 9.25 + 20) / 60, 12);
    expect(m(r, 'hour', '2026-03-01T11:00:00.000Z', 'staffed_hours')?.[0]).toBeCloseTo(10 / 60, 12);
    // Minutes 10:00–10:20 (21), 10:21–10:29 (9; 10:20 already counted), 10:40–11:09 (30).
    expect(total(r, 'minute', 'headcount')).toBe(21 + 9 + 30);
    // Another agent in the same hour adds one.
    const two = runLogic(agentsLogic, [[IN('2026-03-01T10:00:00Z'), IN('2026-03-01T10:05:00Z', { agent_id: 'a2' }), OUT('2026-03-01T10:30:00Z'), OUT('2026-03-01T10:30:00Z', { agent_id: 'a2' })]], { idleCloseAt: END });
    expect(m(two, 'hour', '2026-03-01T10:00:00.000Z', 'headcount')).toEqual([2, 0]);
  });

  it('counts a shift live: whole once the next event ends it, an open one up to the stream-time minute', () => {
    // a1's shift ended by its LOGGED_OUT: counted at once, though the horizon (08:59) has not passed it.
    const r = runLogic(agentsLogic, [[IN('2026-03-01T08:00:00Z'), OUT('2026-03-01T09:00:00Z'), IN('2026-03-01T09:59:30Z', { agent_id: 'a2' })]]);
    expect(m(r, 'day', '2026-03-01T00:00:00.000Z', 'staffed_hours')).toEqual([1, 0]);
    expect(m(r, 'hour', '2026-03-01T08:00:00.000Z', 'headcount')).toEqual([1, 0]);
    // a2 logged in at 09:59:30, stream time 09:59:30: nothing accrued yet (the minute has not passed).
    expect(m(r, 'minute', '2026-03-01T09:59:00.000Z', 'staffed_hours')).toBeUndefined();
    // Stream time 10:02:10: a2 accrued up to 10:02 (2.5 min), a headcount in each minute it touched.
    const r2 = runLogic(agentsLogic, [[IN('2026-03-01T09:59:30Z', { agent_id: 'a2' })], [IN('2026-03-01T10:02:10Z', { agent_id: 'a3' })]]);
    expect(total(r2, 'day', 'staffed_hours')).toBeCloseTo(2.5 / 60, 12);
    expect(total(r2, 'minute', 'headcount')).toBe(3); // 09:59, 10:00, 10:01
    expect(m(r2, 'hour', '2026-03-01T09:00:00.000Z', 'headcount')).toEqual([1, 0]);
    expect(m(r2, 'hour', '2026-03-01T10:00:00.000Z', 'headcount')).toEqual([1, 0]);
    expect(agentsLogic.settled({} as Parameters<typeof agentsLogic.settled>[0])).toEqual({}); // final up to the horizon
  });

  it('drops redelivered events', () => {
    const i = IN('2026-03-01T08:00:00Z');
    const o = OUT('2026-03-01T09:00:00Z');
    const r = runLogic(agentsLogic, [[i, o, i], [o, i]], { idleCloseAt: END });
    expect(m(r, 'day', '2026-03-01T00:00:00.000Z', 'staffed_hours')).toEqual([1, 0]);
    expect(r.deadLetters).toEqual([]);
  });

  it('a LOGGED_OUT arriving later (within the lateness) takes back the time counted past it', () => {
    const first = runLogic(agentsLogic, [[IN('2026-03-01T08:00:00Z')], [IN('2026-03-01T10:30:00Z', { agent_id: 'a2' })]]);
    expect(m(first, 'day', '2026-03-01T00:00:00.000Z', 'staffed_hours')?.[0]).toBeCloseTo(2.5 + 0, 12); // a1 accrued to 10:30
    const out = OUT('2026-03-01T09:45:00Z');
    const r = continueRun(agentsLogic, first, [[out]]);
    expect(r.deadLetters).toEqual([]);
    // The correction: 09:45–10:30 taken back (0.75 h), with the headcount of its minutes and of the 10 h hour.
    expect(m(r, 'day', '2026-03-01T00:00:00.000Z', 'staffed_hours')?.[0]).toBeCloseTo(-0.75, 12);
    expect(m(r, 'hour', '2026-03-01T10:00:00.000Z', 'headcount')).toEqual([-1, 0]);
    expect(m(r, 'hour', '2026-03-01T09:00:00.000Z', 'headcount')).toBeUndefined();
    expect(total(r, 'minute', 'headcount')).toBe(-45); // 09:45 … 10:29
  });

  it('keeps state small: finished agents keep at most a marker', () => {
    const r = runLogic(agentsLogic, [[IN('2026-03-01T08:00:00Z'), OUT('2026-03-01T09:00:00Z'), IN('2026-03-01T08:00:00Z', { agent_id: 'a2' })], [OUT('2026-03-03T12:00:00Z', { agent_id: 'a3' })]]);
    expect(r.state.get('a:a1')).toBeUndefined();
    expect(r.state.get<AgentState>('a:a2')).toEqual({ pending: [], last: 'LOGGED_IN', counted: [], accrue: null, due: null });
    expect(r.state.get<AgentState>('a:a3')?.pending).toHaveLength(1);
  });

  it('gives identical results whatever the arrival order (within the lateness) and flush boundaries', () => {
    for (const timeZone of ['UTC', 'Asia/Shanghai', 'America/New_York']) {
      const events = generate(3);
      // Float sums may differ in the last bits with another summation order.
      const reference = summarize(runLogic(agentsLogic, [events], { rules: { timeZone }, idleCloseAt: END }), 9);
      expect(reference.metrics.length).toBeGreaterThan(1000);
      expect(reference.deadLetters.some((d) => d.endsWith(':orphan'))).toBe(true);
      for (let seed = 1; seed <= 8; seed++) {
        const rnd = mulberry32(seed * 101);
        const shuffled = shuffleWithinLateness(events, 0.95 * HOUR, rnd);
        const r = runLogic(agentsLogic, randomBatches(shuffled, rnd, 12), { rules: { timeZone }, idleCloseAt: END });
        expect(summarize(r, 9)).toEqual(reference);
      }
    }
  });
});

/** Agents with shifts, short breaks, missing and double logouts, equal timestamps, over ~4 days. */
function generate(seed: number): AgentEvent[] {
  const rnd = mulberry32(seed);
  const events: AgentEvent[] = [];
  const start = at('2026-03-06T00:00:00Z');
  for (let a = 0; a < 12; a++) {
    const agent = { agent_id: `a${a}`, business_unit: a % 3 === 0 ? 'bu2' : 'bu', site_type: (a % 2 ? 'IN_HOUSE' : 'OUTSOURCED') as AgentEvent['site_type'] };
    let t = start + Math.floor(rnd() * 6 * HOUR);
    while (t < start + 3 * 24 * HOUR) {
      const r = rnd();
      events.push(IN(t, agent));
      const len = Math.floor(rnd() * 14 * HOUR);
      if (r < 0.75) events.push(OUT(t + len, agent));
      if (r < 0.1) events.push(OUT(t + len + Math.floor(rnd() * HOUR), agent)); // a second logout: orphan
      if (r > 0.9) events.push(OUT(t + len, { ...agent }), IN(t + len, agent)); // logout and login at one instant
      t += len + Math.floor(rnd() * (rnd() < 0.3 ? 10 * MIN : 8 * HOUR));
    }
  }
  return events.sort((a, b) => a.event_time - b.event_time);
}
