// TypeScript mirror of the Avro schemas in ../avro/<topic>/vN.avsc (latest version).
// The .avsc files are the source of truth; these types are written by hand for readable
// editor hints, and test/types.test.ts fails if they drift from the .avsc (field names,
// optionality, kinds and enum symbols are compared through the *_FIELDS maps below).

/** The Kafka topics, in SPEC §3 order. */
export const TOPICS = [
  'cs.sessions',
  'cs.calls',
  'cs.surveys',
  'cs.complaints',
  'cs.outreach',
  'cs.agents',
  'cs.qa',
] as const;
export type Topic = (typeof TOPICS)[number];

export const SESSION_TYPES = [
  'STARTED',
  'PREDICTION_SHOWN',
  'PREDICTION_CLICKED',
  'BOT_TURN',
  'QUESTION_RECOGNIZED',
  'QUESTION_CONFIRMED',
  'TRANSFERRED_TO_AGENT',
  'AGENT_JOINED',
  'ENDED',
] as const;
export const CALL_TYPES = ['OFFERED', 'ANSWERED', 'ABANDONED', 'ENDED'] as const;
export const SURVEY_TYPES = ['RESPONDED'] as const;
export const COMPLAINT_TYPES = ['FILED', 'UPHELD', 'REJECTED'] as const;
export const OUTREACH_TYPES = ['CONTACTED', 'RETAINED', 'CHURNED'] as const;
export const AGENT_TYPES = ['LOGGED_IN', 'LOGGED_OUT'] as const;
export const QA_TYPES = ['REVIEWED'] as const;
export const ENTRIES = ['SELF_SERVICE', 'HUMAN'] as const;
export const HANDLED_BY = ['SELF_SERVICE', 'HUMAN'] as const;
export const SITE_TYPES = ['IN_HOUSE', 'OUTSOURCED'] as const;

export type SessionType = (typeof SESSION_TYPES)[number];
export type CallType = (typeof CALL_TYPES)[number];
export type SurveyType = (typeof SURVEY_TYPES)[number];
export type ComplaintType = (typeof COMPLAINT_TYPES)[number];
export type OutreachType = (typeof OUTREACH_TYPES)[number];
export type AgentType = (typeof AGENT_TYPES)[number];
export type QaType = (typeof QA_TYPES)[number];
export type Entry = (typeof ENTRIES)[number];
export type HandledBy = (typeof HANDLED_BY)[number];
export type SiteType = (typeof SITE_TYPES)[number];

/** Fields every event has. event_time is epoch milliseconds (a number, never a Date). */
export interface BaseEvent {
  event_id: string;
  event_time: number;
  business_unit: string;
  product: string;
}

export interface SessionEvent extends BaseEvent {
  type: SessionType;
  session_id: string;
  user_id: string;
  channel: string;
  entry: Entry | null;
  intent: string | null;
  agent_id: string | null;
}

export interface CallEvent extends BaseEvent {
  type: CallType;
  call_id: string;
  session_id: string | null;
  user_id: string;
  queue: string;
  agent_id: string | null;
  site_type: SiteType | null;
  wait_ms: number | null;
  talk_ms: number | null;
  hold_ms: number | null;
  acw_ms: number | null;
}

export interface SurveyEvent extends BaseEvent {
  type: SurveyType;
  survey_id: string;
  contact_id: string;
  user_id: string;
  channel: string;
  handled_by: HandledBy;
  score: number;
  valid: boolean;
}

export interface ComplaintEvent extends BaseEvent {
  type: ComplaintType;
  complaint_id: string;
  user_id: string;
  contact_id: string | null;
  channel: string;
  category: string;
  external: boolean;
}

export interface OutreachEvent extends BaseEvent {
  type: OutreachType;
  outreach_id: string | null;
  user_id: string;
  campaign: string;
  channel: string;
}

export interface AgentEvent extends BaseEvent {
  type: AgentType;
  agent_id: string;
  site_type: SiteType;
}

export interface QaEvent extends BaseEvent {
  type: QaType;
  review_id: string;
  contact_id: string;
  agent_id: string;
  channel: string;
  score: number;
  passed: boolean;
}

export interface EventByTopic {
  'cs.sessions': SessionEvent;
  'cs.calls': CallEvent;
  'cs.surveys': SurveyEvent;
  'cs.complaints': ComplaintEvent;
  'cs.outreach': OutreachEvent;
  'cs.agents': AgentEvent;
  'cs.qa': QaEvent;
}
export type AnyEvent = EventByTopic[Topic];

/** `type` values of each topic, for exhaustive switches and the drift test. */
export const TYPES_BY_TOPIC = {
  'cs.sessions': SESSION_TYPES,
  'cs.calls': CALL_TYPES,
  'cs.surveys': SURVEY_TYPES,
  'cs.complaints': COMPLAINT_TYPES,
  'cs.outreach': OUTREACH_TYPES,
  'cs.agents': AGENT_TYPES,
  'cs.qa': QA_TYPES,
} as const satisfies { [T in Topic]: readonly EventByTopic[T]['type'][] };

/** One problem with an event, naming the field (dotted path; '' for the whole event). */
export interface ValidationIssue {
  field: string;
  reason: string;
}

// ---- Shape descriptors: let a test compare the hand-written types with the .avsc ----

/** How a field looks, computed from its TS type: kind and whether it may be null. */
export type FieldShape = `${'required' | 'optional'} ${'string' | 'number' | 'boolean' | 'enum'}`;
type KindOf<V> = [V] extends [boolean]
  ? 'boolean'
  : [V] extends [number]
    ? 'number'
    : string extends V
      ? 'string'
      : 'enum';
/** The compiler checks that a literal of this type lists exactly the keys of E with their true shape. */
export type ShapeOf<E> = {
  [K in keyof E]-?: `${null extends E[K] ? 'optional' : 'required'} ${KindOf<NonNullable<E[K]>>}`;
};

const BASE = {
  event_id: 'required string',
  event_time: 'required number',
  business_unit: 'required string',
  product: 'required string',
  type: 'required enum',
} as const;

export const EVENT_SHAPES: { [T in Topic]: ShapeOf<EventByTopic[T]> } = {
  'cs.sessions': {
    ...BASE,
    session_id: 'required string',
    user_id: 'required string',
    channel: 'required string',
    entry: 'optional enum',
    intent: 'optional string',
    agent_id: 'optional string',
  },
  'cs.calls': {
    ...BASE,
    call_id: 'required string',
    session_id: 'optional string',
    user_id: 'required string',
    queue: 'required string',
    agent_id: 'optional string',
    site_type: 'optional enum',
    wait_ms: 'optional number',
    talk_ms: 'optional number',
    hold_ms: 'optional number',
    acw_ms: 'optional number',
  },
  'cs.surveys': {
    ...BASE,
    survey_id: 'required string',
    contact_id: 'required string',
    user_id: 'required string',
    channel: 'required string',
    handled_by: 'required enum',
    score: 'required number',
    valid: 'required boolean',
  },
  'cs.complaints': {
    ...BASE,
    complaint_id: 'required string',
    user_id: 'required string',
    contact_id: 'optional string',
    channel: 'required string',
    category: 'required string',
    external: 'required boolean',
  },
  'cs.outreach': {
    ...BASE,
    outreach_id: 'optional string',
    user_id: 'required string',
    campaign: 'required string',
    channel: 'required string',
  },
  'cs.agents': {
    ...BASE,
    agent_id: 'required string',
    site_type: 'required enum',
  },
  'cs.qa': {
    ...BASE,
    review_id: 'required string',
    contact_id: 'required string',
    agent_id: 'required string',
    channel: 'required string',
    score: 'required number',
    passed: 'required boolean',
  },
};

/** Enum symbols of the non-`type` enum fields, as the TS side sees them. */
export const ENUM_FIELDS = {
  'cs.sessions': { entry: ENTRIES },
  'cs.calls': { site_type: SITE_TYPES },
  'cs.surveys': { handled_by: HANDLED_BY },
  'cs.complaints': {},
  'cs.outreach': {},
  'cs.agents': { site_type: SITE_TYPES },
  'cs.qa': {},
} as const satisfies { [T in Topic]: Partial<Record<keyof EventByTopic[T], readonly string[]>> };
