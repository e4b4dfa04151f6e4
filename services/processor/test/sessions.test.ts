import { describe, expect, it } from 'vitest';
import type { TopicLogic } from '../src/engine/types.ts';
import type { SessionEvent } from '@cs/schemas';
import { sessionsLogic } from '../src/logic/sessions.ts';
import { continueRun, latestRows, runLogic, summarize, settledAt, type HarnessResult } from './harness.ts';
import { mulberry32, randomBatches, shuffleWithinLateness } from './random.ts';

const HOUR = 3_600_000;
const MIN = 60_000;
const day = (r: HarnessResult, metric: string, d = '2026-03-01') => r.metrics.get(`day|${d}T00:00:00.000Z|${metric}|b|p|APP`);
const settled = (r: HarnessResult, horizon: number) => settledAt(sessionsLogic as TopicLogic, r, horizon);

const at = (iso: string) => Date.parse(iso);
/** Final figures, dead letters and the latest contact and FCR rows, order-free. */
const summary = (r: HarnessResult) => ({ ...summarize(r, 9), contacts: latestRows(r, 'contacts_local', 'session_id').map((x) => JSON.stringify(x)).sort(), fcr: latestRows(r, 'contact_fcr', 'session_id').map((x) => JSON.stringify(x)).sort() });
let n = 0;
const ev = (session: string, type: SessionEvent['type'], time: string, extra: Partial<SessionEvent> = {}): SessionEvent => ({
  event_id: `e${++n}`,
  event_time: at(time),
  business_unit: 'b',
  product: 'p',
  type,
  session_id: session,
  user_id: 'u1',
  channel: 'APP',
  entry: type === 'STARTED' ? 'SELF_SERVICE' : null,
  intent: null,
  agent_id: null,
  ...extra,
});

describe('sessions logic', () => {
  it('counts a contact at STARTED and its ended-contact metrics at its ENDED (live), final when the window closes', () => {
    const events = [ev('s', 'STARTED', '2026-03-01T10:00:00Z'), ev('s', 'ENDED', '2026-03-01T10:01:30Z')];
    const live = runLogic(sessionsLogic, [events]);
    expect(day(live, 'contacts')).toEqual([1, 0]);
    expect(day(live, 'online_aht_seconds')).toEqual([90, 1]);
    expect(live.metrics.get('hour|2026-03-01T10:00:00.000Z|self_service_share|b|p|APP')).toEqual([1, 1]);
    expect(latestRows(live, 'contacts_local', 'session_id').map((c) => [c.session_id, c.final])).toEqual([['s', false]]);
    // The open contact bounds where its figures are final; `contacts` only by the horizon.
    expect(settled(live, at('2026-03-01T09:01:30Z')).self_service_share).toBe(at('2026-03-01T10:00:00Z'));
    const closed = runLogic(sessionsLogic, [events], { idleCloseAt: at('2026-03-02T00:00:00Z') });
    expect(day(closed, 'online_aht_seconds')).toEqual([90, 1]); // not counted twice
    expect(latestRows(closed, 'contacts_local', 'session_id').map((c) => [c.session_id, c.final])).toEqual([['s', true]]);
    expect(settled(closed, at('2026-03-02T00:00:00Z')).self_service_share).toBe(at('2026-03-02T00:00:00Z'));
  });

  it('a contact without ENDED counts once its inactivity window closes', () => {
    const events = [ev('s', 'STARTED', '2026-03-01T10:00:00Z'), ev('s', 'BOT_TURN', '2026-03-01T10:02:00Z')];
    const open = runLogic(sessionsLogic, [events, [ev('t', 'STARTED', '2026-03-01T11:32:00Z')]]);
    expect(day(open, 'self_service_share')).toBeUndefined(); // horizon 10:32: the window (10:02 + 30 min) is not past
    const r = runLogic(sessionsLogic, [events, [ev('t', 'STARTED', '2026-03-01T11:32:01Z', { product: 'q' })]]);
    expect(day(r, 'self_service_share')).toEqual([1, 1]);
    expect(day(r, 'online_aht_seconds')).toEqual([120, 1]);
  });

  it('a late event within the lateness that changes an ended contact retracts its contribution and adds the new one', () => {
    const started = ev('s', 'STARTED', '2026-03-01T10:00:00Z');
    const ended = ev('s', 'ENDED', '2026-03-01T10:03:00Z');
    const first = runLogic(sessionsLogic, [[started, ended]]);
    expect(day(first, 'self_service_share')).toEqual([1, 1]);
    expect(day(first, 'self_service_transfer_rate')).toEqual([0, 1]);
    // A TRANSFERRED_TO_AGENT timed before the ENDED arrives afterwards.
    const transfer = ev('s', 'TRANSFERRED_TO_AGENT', '2026-03-01T10:02:00Z');
    const then = continueRun(sessionsLogic, first, [[transfer]]);
    expect(then.deadLetters).toEqual([]);
    // The correction alone: self-service 1 → 0, transferred 0 → 1, denominators unchanged.
    expect(day(then, 'self_service_share')).toEqual([-1, 0]);
    expect(day(then, 'self_service_transfer_rate')).toEqual([1, 0]);
    expect(day(then, 'online_aht_seconds') ?? [0, 0]).toEqual([0, 0]);
    expect(latestRows(then, 'contacts_local', 'session_id').map((c) => [c.transferred, c.self_service, c.final])).toEqual([[true, false, false]]);
    // Summed with the first run's: the same as if all had come in order.
    const inOrder = runLogic(sessionsLogic, [[started, transfer, ended]]);
    expect(day(inOrder, 'self_service_share')).toEqual([0, 1]);
    expect(day(inOrder, 'self_service_transfer_rate')).toEqual([1, 1]);
  });

  it('dead-letters events of a closed contact as late and of a session without STARTED as orphan', () => {
    const r = runLogic(
      sessionsLogic,
      [[ev('s', 'STARTED', '2026-03-01T10:00:00Z'), ev('s', 'ENDED', '2026-03-01T10:01:00Z'), ev('x', 'BOT_TURN', '2026-03-01T10:02:00Z'), ev('t', 'STARTED', '2026-03-01T12:00:00Z')], [ev('s', 'BOT_TURN', '2026-03-01T11:30:00Z')]],
      { idleCloseAt: at('2026-03-02T00:00:00Z') },
    );
    expect(r.deadLetters.map((d) => d.reason).sort()).toEqual(['late', 'orphan']);
  });
});

describe('first-contact resolution', () => {
  const contact = (session: string, startIso: string, endIso: string, user = 'u1') => [ev(session, 'STARTED', startIso, { user_id: user }), ev(session, 'ENDED', endIso, { user_id: user })];

  it('is not resolved when the same user and product come back by end + 24 h (inclusive), resolved 1 ms later', () => {
    const edge = runLogic(sessionsLogic, [[...contact('a', '2026-03-01T10:00:00Z', '2026-03-01T10:05:00Z'), ...contact('b', '2026-03-02T10:05:00Z', '2026-03-02T10:06:00Z')]], { idleCloseAt: at('2026-03-05T00:00:00Z') });
    expect(edge.metrics.get('day|2026-03-01T00:00:00.000Z|fcr_rate|b|p|APP')).toEqual([0, 1]);
    expect(edge.metrics.get('day|2026-03-02T00:00:00.000Z|fcr_rate|b|p|APP')).toEqual([1, 1]);
    const after = runLogic(sessionsLogic, [[...contact('a', '2026-03-01T10:00:00Z', '2026-03-01T10:05:00Z'), ...contact('b', '2026-03-02T10:05:00.001Z', '2026-03-02T10:06:00Z')]], { idleCloseAt: at('2026-03-05T00:00:00Z') });
    expect(after.metrics.get('day|2026-03-01T00:00:00.000Z|fcr_rate|b|p|APP')).toEqual([1, 1]);
    const rows = latestRows(after, 'contact_fcr', 'session_id');
    expect(rows.map((r) => [r.session_id, r.fcr_state])).toEqual([['a', 'resolved'], ['b', 'resolved']]);
    expect(after.state.size).toBeLessThan(10);
  });

  it('waits for the window to count a resolution: undecided contacts count in neither figure', () => {
    const r = runLogic(sessionsLogic, [[...contact('a', '2026-03-01T10:00:00Z', '2026-03-01T10:05:00Z'), ev('z', 'STARTED', '2026-03-02T11:00:00Z', { user_id: 'u2' })]]);
    expect(r.metrics.has('day|2026-03-01T00:00:00.000Z|fcr_rate|b|p|APP')).toBe(false);
    // The undecided contact bounds where FCR figures are final.
    expect(settled(r, at('2026-03-02T10:00:00Z')).fcr_rate).toBe(at('2026-03-01T10:00:00Z'));
  });

  it('a repeat contact decides at once (not resolved), long before the window closes', () => {
    const r = runLogic(sessionsLogic, [[...contact('a', '2026-03-01T10:00:00Z', '2026-03-01T10:05:00Z'), ev('b', 'STARTED', '2026-03-01T12:00:00Z')]]);
    expect(day(r, 'fcr_rate')).toEqual([0, 1]);
    expect(day(r, 'self_service_resolution_rate')).toEqual([0, 1]);
    expect(latestRows(r, 'contact_fcr', 'session_id').map((x) => [x.session_id, x.fcr_state])).toEqual([['a', 'not_resolved']]);
  });

  it('retracts a decision when the contact it was made for changes (a late transfer: no longer self-service)', () => {
    const first = runLogic(sessionsLogic, [[...contact('a', '2026-03-01T10:00:00Z', '2026-03-01T10:05:00Z'), ev('b', 'STARTED', '2026-03-01T10:20:00Z')]]);
    expect(day(first, 'fcr_rate')).toEqual([0, 1]);
    expect(day(first, 'self_service_resolution_rate')).toEqual([0, 1]);
    // A transfer of a arrives late: a is no longer self-service, its self-service resolution is retracted.
    const then = continueRun(sessionsLogic, first, [[ev('a', 'TRANSFERRED_TO_AGENT', '2026-03-01T10:04:00Z')]]);
    expect(day(then, 'fcr_rate') ?? [0, 0]).toEqual([0, 0]);
    expect(day(then, 'self_service_resolution_rate')).toEqual([0, -1]);
  });

  it('gives identical final figures, rows and dead letters whatever the arrival order (within the lateness) and flush boundaries', () => {
    const events = generate(5);
    const end = at('2026-03-09T00:00:00Z');
    const reference = summary(runLogic(sessionsLogic, [events], { idleCloseAt: end }));
    expect(reference.fcr.some((x) => x.includes('not_resolved'))).toBe(true);
    expect(reference.fcr.some((x) => x.includes('"resolved"'))).toBe(true);
    expect(reference.deadLetters.length).toBeGreaterThan(0);
    for (let seed = 1; seed <= 10; seed++) {
      const rnd = mulberry32(seed * 7);
      const shuffled = shuffleWithinLateness(events, 0.95 * HOUR, rnd);
      expect(summary(runLogic(sessionsLogic, randomBatches(shuffled, rnd, 15), { idleCloseAt: end }))).toEqual(reference);
    }
  });

  it('closes a quiet partition in idle steps (one hour past the next due window each) with the same results as in one idle flush', () => {
    const events = generate(5);
    const end = at('2026-03-09T00:00:00Z');
    const oneFlush = runLogic(sessionsLogic, [events], { idleCloseAt: end });
    expect(oneFlush.idleFlushes).toBe(1);
    for (const stepMs of [HOUR, 10 * MIN]) {
      const stepped = runLogic(sessionsLogic, [events], { idleCloseAt: end, idleCloseStepMs: stepMs });
      // ~5 days of windows: many steps, but the stretches where nothing is due are skipped.
      expect(stepped.idleFlushes).toBeGreaterThan(5);
      expect(stepped.idleFlushes).toBeLessThan((end - at('2026-03-01T00:00:00Z')) / stepMs);
      expect(summary(stepped)).toEqual(summary(oneFlush));
    }
  });
});

/** Users coming back within and beyond 24 h, transfers, contacts without ENDED, stray events, over ~5 days. */
function generate(seed: number): SessionEvent[] {
  const rnd = mulberry32(seed);
  const events: SessionEvent[] = [];
  let s = 0;
  for (let u = 0; u < 30; u++) {
    let t = at('2026-03-01T00:00:00Z') + Math.floor(rnd() * 12 * HOUR);
    const visits = 1 + Math.floor(rnd() * 5);
    for (let v = 0; v < visits; v++) {
      const session = `s${++s}`;
      const extra = { user_id: `u${u}`, product: rnd() < 0.7 ? 'p' : 'q', channel: rnd() < 0.3 ? 'HOTLINE' : 'APP' };
      events.push(ev(session, 'STARTED', new Date(t).toISOString(), { ...extra, entry: rnd() < 0.8 ? 'SELF_SERVICE' : 'HUMAN' }));
      let x = t;
      const steps = Math.floor(rnd() * 5);
      for (let i = 0; i < steps; i++) {
        x += Math.floor(rnd() * 4 * MIN);
        const type = (['BOT_TURN', 'QUESTION_RECOGNIZED', 'QUESTION_CONFIRMED', 'PREDICTION_SHOWN', 'PREDICTION_CLICKED', 'TRANSFERRED_TO_AGENT'] as const)[Math.floor(rnd() * 6)]!;
        events.push(ev(session, type, new Date(x).toISOString(), extra));
      }
      if (rnd() < 0.85) events.push(ev(session, 'ENDED', new Date(x + Math.floor(rnd() * 2 * MIN)).toISOString(), extra));
      if (rnd() < 0.05) events.push(ev(session, 'BOT_TURN', new Date(x + 40 * MIN).toISOString(), extra)); // after the end
      t = x + [10 * MIN, 23 * HOUR, 24 * HOUR, 30 * HOUR][Math.floor(rnd() * 4)]!;
    }
  }
  return events.sort((a, b) => a.event_time - b.event_time);
}
