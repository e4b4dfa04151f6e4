import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '@cs/schemas';
import { sessionsLogic } from '../src/logic/sessions.ts';
import { runLogic } from './harness.ts';

const at = (iso: string) => Date.parse(iso);
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
  it('counts a contact at STARTED and its ended-contact metrics when the window closes', () => {
    const events = [ev('s', 'STARTED', '2026-03-01T10:00:00Z'), ev('s', 'ENDED', '2026-03-01T10:01:30Z')];
    const r = runLogic(sessionsLogic, [events], { idleCloseAt: at('2026-03-02T00:00:00Z') });
    expect(r.metrics.get('day|2026-03-01T00:00:00.000Z|contacts|b|p|APP')).toEqual([1, 0]);
    expect(r.metrics.get('day|2026-03-01T00:00:00.000Z|online_aht_seconds|b|p|APP')).toEqual([90, 1]);
    expect(r.metrics.get('hour|2026-03-01T10:00:00.000Z|self_service_share|b|p|APP')).toEqual([1, 1]);
    expect(r.rows.get('contacts_local')?.map((c) => [c.session_id, c.final])).toEqual([['s', false], ['s', true]]);
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
    const rows = after.rows.get('contacts_local')!.filter((r) => r.version === 3);
    expect(rows.map((r) => [r.session_id, r.fcr_state])).toEqual([['a', 'resolved'], ['b', 'resolved']]);
    expect(after.state.size).toBeLessThan(10);
  });

  it('waits for the window: no decision before the horizon passes end + window', () => {
    const r = runLogic(sessionsLogic, [[...contact('a', '2026-03-01T10:00:00Z', '2026-03-01T10:05:00Z'), ev('z', 'STARTED', '2026-03-02T11:00:00Z', { user_id: 'u2' })]]);
    expect(r.metrics.has('day|2026-03-01T00:00:00.000Z|fcr_rate|b|p|APP')).toBe(false);
  });
});
