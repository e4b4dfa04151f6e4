/** Hand-made events for tests of live figures: contacts, calls, surveys, complaints, with fresh ids. */
import type { TopicEvent } from '@cs/producer';
import type { CallEvent, ComplaintEvent, SessionEvent, SurveyEvent } from '@cs/schemas';

let seq = 0;
export const freshId = (prefix: string) => `${prefix}-${++seq}`;
const base = (bu: string, at: number) => ({ event_id: freshId('e'), event_time: at, business_unit: bu, product: 'p1' });

/** A self-service-entry contact: STARTED at `start`, the given steps a second apart, ENDED `durationS` later. */
export function contact(bu: string, channel: string, start: number, durationS: number, steps: readonly SessionEvent['type'][] = [], user = freshId('u')): TopicEvent[] {
  const session = freshId('s');
  const ev = (type: SessionEvent['type'], at: number, extra: Partial<SessionEvent> = {}): TopicEvent => ({
    topic: 'cs.sessions',
    event: { ...base(bu, at), type, session_id: session, user_id: user, channel, entry: null, intent: null, agent_id: null, ...extra } satisfies SessionEvent,
  });
  return [ev('STARTED', start, { entry: 'SELF_SERVICE' }), ...steps.map((type, i) => ev(type, start + (i + 1) * 1000, type === 'AGENT_JOINED' ? { agent_id: 'a1' } : {})), ev('ENDED', start + durationS * 1000)];
}

/** A contact's STARTED alone (it counts as started; it has not ended). */
export const started = (bu: string, at: number): TopicEvent => ({
  topic: 'cs.sessions',
  event: { ...base(bu, at), type: 'STARTED', session_id: freshId('s'), user_id: freshId('u'), channel: 'APP', entry: 'SELF_SERVICE', intent: null, agent_id: null } satisfies SessionEvent,
});

/** A call OFFERED at `at`: answered after `waitS` and ended after `handleS` of talk, or abandoned after 40 s. */
export function call(bu: string, at: number, outcome: { waitS: number; handleS: number } | 'abandoned'): TopicEvent[] {
  const c = { call_id: freshId('c'), session_id: null, user_id: freshId('u'), queue: 'q1', agent_id: null, site_type: null, wait_ms: null, talk_ms: null, hold_ms: null, acw_ms: null };
  const ev = (type: CallEvent['type'], t: number, extra: Partial<CallEvent> = {}): TopicEvent => ({ topic: 'cs.calls', event: { ...base(bu, t), type, ...c, ...extra } satisfies CallEvent });
  if (outcome === 'abandoned') return [ev('OFFERED', at), ev('ABANDONED', at + 40_000, { wait_ms: 40_000 })];
  const answered = at + outcome.waitS * 1000;
  return [
    ev('OFFERED', at),
    ev('ANSWERED', answered, { agent_id: 'a1', site_type: 'IN_HOUSE', wait_ms: outcome.waitS * 1000 }),
    ev('ENDED', answered + outcome.handleS * 1000, { agent_id: 'a1', talk_ms: outcome.handleS * 1000, hold_ms: 0, acw_ms: 0 }),
  ];
}

export const survey = (bu: string, at: number, score: number): TopicEvent => ({
  topic: 'cs.surveys',
  event: { ...base(bu, at), type: 'RESPONDED', survey_id: freshId('v'), contact_id: freshId('s'), user_id: freshId('u'), channel: 'APP', handled_by: 'SELF_SERVICE', score, valid: true } satisfies SurveyEvent,
});

export const complaint = (bu: string, at: number): TopicEvent => ({
  topic: 'cs.complaints',
  event: { ...base(bu, at), type: 'FILED', complaint_id: freshId('k'), user_id: freshId('u'), contact_id: null, channel: 'APP', category: 'billing', external: false } satisfies ComplaintEvent,
});

/** In event-time order, as producers send them (an event over an hour older than its partition's newest is late). */
export const inTimeOrder = (events: readonly TopicEvent[]) => [...events].sort((a, b) => a.event.event_time - b.event.event_time);
