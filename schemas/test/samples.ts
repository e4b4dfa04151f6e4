// One valid event per topic (with every optional field exercised somewhere), shared by tests.
import type { EventByTopic, Topic } from '../src/types.ts';

const T0 = Date.UTC(2024, 4, 1, 8, 30); // 2024-05-01T08:30:00Z
const base = { event_time: T0, business_unit: 'retail', product: 'credit-card' };

export const SAMPLES: { [T in Topic]: EventByTopic[T] } = {
  'cs.sessions': {
    ...base,
    event_id: 'ev-s1',
    type: 'STARTED',
    session_id: 'sess-1',
    user_id: 'user-1',
    channel: 'APP',
    entry: 'SELF_SERVICE',
    intent: 'card_lost',
    agent_id: null,
  },
  'cs.calls': {
    ...base,
    event_id: 'ev-c1',
    type: 'ANSWERED',
    call_id: 'call-1',
    session_id: 'sess-1',
    user_id: 'user-1',
    queue: 'cards',
    agent_id: 'agent-7',
    site_type: 'OUTSOURCED',
    wait_ms: 18_000,
    talk_ms: null,
    hold_ms: null,
    acw_ms: null,
  },
  'cs.surveys': {
    ...base,
    event_id: 'ev-v1',
    type: 'RESPONDED',
    survey_id: 'survey-1',
    contact_id: 'sess-1',
    user_id: 'user-1',
    channel: 'WEB',
    handled_by: 'HUMAN',
    score: 5,
    valid: true,
  },
  'cs.complaints': {
    ...base,
    event_id: 'ev-p1',
    type: 'FILED',
    complaint_id: 'cmp-1',
    user_id: 'user-1',
    contact_id: null,
    channel: 'HOTLINE',
    category: 'fees',
    external: false,
  },
  'cs.outreach': {
    ...base,
    event_id: 'ev-o1',
    type: 'CONTACTED',
    outreach_id: 'out-1',
    user_id: 'user-1',
    campaign: 'winback-q2',
    channel: 'SMS',
  },
  'cs.agents': {
    ...base,
    event_id: 'ev-a1',
    type: 'LOGGED_IN',
    agent_id: 'agent-7',
    site_type: 'IN_HOUSE',
  },
  'cs.qa': {
    ...base,
    event_id: 'ev-q1',
    type: 'REVIEWED',
    review_id: 'rev-1',
    contact_id: 'sess-1',
    agent_id: 'agent-7',
    channel: 'HOTLINE',
    score: 87,
    passed: true,
  },
};

/** A sample as loose JSON, for tests that break it on purpose. */
export function json(topic: Topic, changes: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...(SAMPLES[topic] as unknown as Record<string, unknown>), ...changes };
}
