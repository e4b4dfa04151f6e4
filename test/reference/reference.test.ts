// Hand-computed scenarios for the independent reference calculator.
import { describe, expect, it } from 'vitest';
import type {
  AgentEvent,
  AnyEvent,
  CallEvent,
  ComplaintEvent,
  OutreachEvent,
  QaEvent,
  SessionEvent,
  SurveyEvent,
  Topic,
} from '@cs/schemas';
import { PROCESSOR_METRICS } from '@cs/catalog';
import {
  LocalCalendar,
  REFERENCE_METRIC_IDS,
  referenceMetrics,
  type Grain,
  type MetricRow,
  type ReferenceInput,
  type ReferenceOutput,
} from './reference.ts';

// ---- builders --------------------------------------------------------------------------------

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const iso = (s: string) => Date.parse(s);
const T0 = iso('2024-05-01T10:00:00Z');

interface Item {
  topic: Topic;
  event: AnyEvent;
}

let n = 0;
const nextId = (p: string) => `${p}-${++n}`;

function s(type: SessionEvent['type'], session_id: string, t: number, over: Partial<SessionEvent> = {}): Item {
  const event: SessionEvent = {
    event_id: nextId(`${session_id}.${type}`),
    event_time: t,
    business_unit: 'BU1',
    product: 'P1',
    type,
    session_id,
    user_id: 'u1',
    channel: 'APP',
    entry: type === 'STARTED' ? 'SELF_SERVICE' : null,
    intent: null,
    agent_id: null,
    ...over,
  };
  return { topic: 'cs.sessions', event };
}

function call(type: CallEvent['type'], call_id: string, t: number, over: Partial<CallEvent> = {}): Item {
  const event: CallEvent = {
    event_id: nextId(`${call_id}.${type}`),
    event_time: t,
    business_unit: 'BU1',
    product: 'P1',
    type,
    call_id,
    session_id: null,
    user_id: 'u1',
    queue: 'q',
    agent_id: null,
    site_type: null,
    wait_ms: null,
    talk_ms: null,
    hold_ms: null,
    acw_ms: null,
    ...over,
  };
  return { topic: 'cs.calls', event };
}

function survey(t: number, over: Partial<SurveyEvent> = {}): Item {
  const event: SurveyEvent = {
    event_id: nextId('survey'),
    event_time: t,
    business_unit: 'BU1',
    product: 'P1',
    type: 'RESPONDED',
    survey_id: nextId('sv'),
    contact_id: 'c',
    user_id: 'u1',
    channel: 'APP',
    handled_by: 'SELF_SERVICE',
    score: 5,
    valid: true,
    ...over,
  };
  return { topic: 'cs.surveys', event };
}

function complaint(type: ComplaintEvent['type'], complaint_id: string, t: number, over: Partial<ComplaintEvent> = {}): Item {
  const event: ComplaintEvent = {
    event_id: nextId(`${complaint_id}.${type}`),
    event_time: t,
    business_unit: 'BU1',
    product: 'P1',
    type,
    complaint_id,
    user_id: 'u1',
    contact_id: null,
    channel: 'APP',
    category: 'billing',
    external: false,
    ...over,
  };
  return { topic: 'cs.complaints', event };
}

function outreach(type: OutreachEvent['type'], user_id: string, t: number, over: Partial<OutreachEvent> = {}): Item {
  const event: OutreachEvent = {
    event_id: nextId(`${user_id}.${type}`),
    event_time: t,
    business_unit: 'BU1',
    product: 'P1',
    type,
    outreach_id: type === 'CONTACTED' ? nextId('o') : null,
    user_id,
    campaign: 'winback',
    channel: 'PHONE',
    ...over,
  };
  return { topic: 'cs.outreach', event };
}

function agent(type: AgentEvent['type'], agent_id: string, t: number, over: Partial<AgentEvent> = {}): Item {
  const event: AgentEvent = {
    event_id: nextId(`${agent_id}.${type}`),
    event_time: t,
    business_unit: 'BU1',
    product: 'P1',
    type,
    agent_id,
    site_type: 'IN_HOUSE',
    ...over,
  };
  return { topic: 'cs.agents', event };
}

function qa(t: number, score: number, passed: boolean): Item {
  const event: QaEvent = {
    event_id: nextId('qa'),
    event_time: t,
    business_unit: 'BU1',
    product: 'P1',
    type: 'REVIEWED',
    review_id: nextId('r'),
    contact_id: 'c',
    agent_id: 'a1',
    channel: 'APP',
    score,
    passed,
  };
  return { topic: 'cs.qa', event };
}

/** A partitioner giving every key its own partition. */
function perKey(): (topic: Topic, key: string) => number {
  const ids = new Map<string, number>();
  return (_topic, key) => {
    let p = ids.get(key);
    if (p === undefined) ids.set(key, (p = ids.size));
    return p;
  };
}

/** Runs the reference with arrival = position in `items`. */
function run(items: Item[], opts: Partial<Omit<ReferenceInput, 'events'>> = {}): ReferenceOutput {
  return referenceMetrics({
    events: items.map((it, i) => ({ ...it, arrival: i })),
    timeZone: 'UTC',
    allowedLatenessMs: HOUR,
    fcrWindowMs: DAY,
    retentionWindowMs: 30 * DAY,
    partitionOf: () => 0,
    ...opts,
  });
}

function rowsOf(out: ReferenceOutput, metric: string, grain: Grain = 'day'): MetricRow[] {
  return out.rows.filter((r) => r.metric === metric && r.grain === grain);
}

function one(out: ReferenceOutput, metric: string, grain: Grain, bucket: number, dims: Partial<MetricRow> = {}): MetricRow {
  const found = out.rows.filter(
    (r) =>
      r.metric === metric &&
      r.grain === grain &&
      r.bucket === bucket &&
      (dims.business_unit === undefined || r.business_unit === dims.business_unit) &&
      (dims.product === undefined || r.product === dims.product) &&
      (dims.channel === undefined || r.channel === dims.channel),
  );
  if (found.length !== 1) throw new Error(`expected one ${grain} ${metric} row at ${new Date(bucket).toISOString()}, got ${found.length}`);
  return found[0]!;
}

const nd = (r: MetricRow) => [r.numerator, r.denominator, r.value];

// ---- tests -----------------------------------------------------------------------------------

describe('reference: catalog coverage', () => {
  it('computes exactly the catalog metrics the processor computes', () => {
    expect([...REFERENCE_METRIC_IDS].sort()).toEqual(PROCESSOR_METRICS.map((m) => m.id).sort());
  });

  it('a mixed scenario yields rows for every metric, at all three grains', () => {
    const items: Item[] = [
      s('STARTED', 'v', T0, { channel: 'HOTLINE' }),
      s('QUESTION_RECOGNIZED', 'v', T0 + 1000, { channel: 'HOTLINE' }),
      s('QUESTION_CONFIRMED', 'v', T0 + 2000, { channel: 'HOTLINE' }),
      s('ENDED', 'v', T0 + 3000, { channel: 'HOTLINE' }),
      s('STARTED', 'w', T0),
      s('PREDICTION_SHOWN', 'w', T0 + 1000),
      s('ENDED', 'w', T0 + 3000),
      call('OFFERED', 'c1', T0),
      call('ANSWERED', 'c1', T0 + 5000, { wait_ms: 5000 }),
      call('ENDED', 'c1', T0 + 65_000, { talk_ms: 60_000, hold_ms: 0, acw_ms: 0 }),
      survey(T0),
      complaint('FILED', 'k1', T0),
      outreach('CONTACTED', 'u9', T0),
      qa(T0, 90, true),
      agent('LOGGED_IN', 'a1', T0),
      agent('LOGGED_OUT', 'a1', T0 + HOUR),
    ];
    const out = run(items);
    for (const grain of ['minute', 'hour', 'day'] as const) {
      expect(new Set(out.rows.filter((r) => r.grain === grain).map((r) => r.metric))).toEqual(new Set(REFERENCE_METRIC_IDS));
    }
    expect(out.deadLetters).toEqual([]);
  });
});

describe('reference: a plain contact', () => {
  it('derives the contact row and its metrics in the start buckets', () => {
    const out = run([
      s('STARTED', 'A', T0 + 15_000),
      s('BOT_TURN', 'A', T0 + 20_000),
      s('PREDICTION_SHOWN', 'A', T0 + 25_000),
      s('PREDICTION_CLICKED', 'A', T0 + 30_000),
      s('ENDED', 'A', T0 + 105_000),
    ]);
    expect(out.deadLetters).toEqual([]);
    expect(out.contacts).toEqual([
      {
        session_id: 'A',
        user_id: 'u1',
        business_unit: 'BU1',
        product: 'P1',
        channel: 'APP',
        entry: 'SELF_SERVICE',
        start: T0 + 15_000,
        end: T0 + 105_000,
        ended_by: 'ENDED',
        self_service_entry: true,
        transferred: false,
        self_service: true,
        online: true,
        bot_turns: 1,
        questions_recognized: 0,
        questions_confirmed: 0,
        prediction_shown: true,
        prediction_clicked: true,
        fcr_resolved: true,
      },
    ]);
    const day = iso('2024-05-01T00:00:00Z');
    expect(one(out, 'contacts', 'minute', T0)).toMatchObject({ business_unit: 'BU1', product: 'P1', channel: 'APP', numerator: 1, denominator: 1, value: 1 });
    expect(nd(one(out, 'contacts', 'hour', T0))).toEqual([1, 1, 1]);
    expect(nd(one(out, 'contacts', 'day', day))).toEqual([1, 1, 1]);
    expect(nd(one(out, 'self_service_share', 'day', day))).toEqual([1, 1, 1]);
    expect(nd(one(out, 'self_service_transfer_rate', 'day', day))).toEqual([0, 1, 0]);
    expect(nd(one(out, 'fcr_rate', 'day', day))).toEqual([1, 1, 1]);
    expect(nd(one(out, 'self_service_resolution_rate', 'day', day))).toEqual([1, 1, 1]);
    expect(nd(one(out, 'online_aht_seconds', 'day', day))).toEqual([90, 1, 90]);
    expect(nd(one(out, 'prediction_hit_rate', 'day', day))).toEqual([1, 1, 1]);
    expect(nd(one(out, 'complaints_per_10k', 'day', day))).toEqual([0, 1, 0]);
    expect(nd(one(out, 'upheld_complaints_per_10k', 'day', day))).toEqual([0, 1, 0]);
    expect(rowsOf(out, 'voicebot_avg_turns')).toEqual([]); // not HOTLINE
    // the ENDED one minute later does not create a row in its own minute bucket
    expect(out.rows.filter((r) => r.grain === 'minute').every((r) => r.bucket === T0)).toBe(true);
  });
});

describe('reference: dedup, order, lateness', () => {
  const contact = () => [
    s('STARTED', 'A', T0),
    s('TRANSFERRED_TO_AGENT', 'A', T0 + MIN),
    s('AGENT_JOINED', 'A', T0 + 2 * MIN),
    s('ENDED', 'A', T0 + 10 * MIN),
  ];

  it('redelivered events (same event_id) change nothing and are not dead letters', () => {
    const items = contact();
    const once = run(items);
    const twice = run([items[0]!, items[0]!, items[1]!, items[2]!, items[1]!, items[3]!, items[3]!, items[0]!]);
    expect(twice).toEqual(once);
    expect(twice.deadLetters).toEqual([]);
    expect(twice.contacts[0]).toMatchObject({ transferred: true, self_service: false, end: T0 + 10 * MIN });
  });

  it('a shuffled arrival order within the allowed lateness gives the same result', () => {
    const items = contact();
    const inOrder = run(items);
    const shuffled = run([items[3]!, items[1]!, items[0]!, items[2]!]);
    expect(shuffled).toEqual(inOrder);
    expect(nd(one(shuffled, 'self_service_transfer_rate', 'day', iso('2024-05-01T00:00:00Z')))).toEqual([1, 1, 1]);
  });

  it('an event older than stream time − lateness on its partition is late and changes nothing', () => {
    const partitionOf = (_t: Topic, key: string) => (key === 'u1' ? 0 : 1);
    const late = s('BOT_TURN', 'A', T0 + 5 * MIN);
    const onOtherPartition = s('BOT_TURN', 'C', T0 + 5 * MIN, { user_id: 'u2' });
    const atBound = s('BOT_TURN', 'B', T0 + 2 * HOUR - HOUR, { event_id: 'exactly-at-bound' }); // B starts later; orphan but not late
    const out = run(
      [
        s('STARTED', 'A', T0),
        s('ENDED', 'A', T0 + 10 * MIN),
        s('STARTED', 'C', T0, { user_id: 'u2' }),
        s('STARTED', 'B', T0 + 2 * HOUR), // stream time of partition 0 → T0 + 2 h
        late, // T0 + 5 min < T0 + 2 h − 1 h
        late, // its redelivery is judged again (it was never accepted)
        onOtherPartition, // partition 1's stream time is T0: on time
        atBound, // exactly stream time − lateness: on time
        s('ENDED', 'C', T0 + 6 * MIN, { user_id: 'u2' }),
      ],
      { partitionOf },
    );
    expect(out.deadLetters).toEqual([
      { event_id: late.event.event_id, reason: 'late' },
      { event_id: late.event.event_id, reason: 'late' },
      { event_id: 'exactly-at-bound', reason: 'orphan' },
    ]);
    const byId = new Map(out.contacts.map((c) => [c.session_id, c]));
    expect(byId.get('A')?.bot_turns).toBe(0);
    expect(byId.get('C')?.bot_turns).toBe(1);
  });

  it('an accepted event redelivered when it would now be late is still just a duplicate', () => {
    const started = s('STARTED', 'A', T0);
    const out = run([started, s('STARTED', 'B', T0 + 3 * HOUR), started]);
    expect(out.deadLetters).toEqual([]);
    expect(out.contacts).toHaveLength(2);
  });
});

describe('reference: contact boundaries (SPEC §5)', () => {
  it('without ENDED: a gap of exactly 30 min continues, 30 min + 1 ms ends the contact', () => {
    const tooLate = s('BOT_TURN', 'A', T0 + 70 * MIN + 1);
    const out = run([
      s('STARTED', 'A', T0),
      s('BOT_TURN', 'A', T0 + 10 * MIN),
      s('BOT_TURN', 'A', T0 + 40 * MIN), // gap exactly 30 min
      tooLate, // gap 30 min + 1 ms
    ]);
    expect(out.contacts[0]).toMatchObject({ end: T0 + 40 * MIN, ended_by: 'inactivity', bot_turns: 2 });
    expect(out.deadLetters).toEqual([{ event_id: tooLate.event.event_id, reason: 'late' }]);
    expect(nd(one(out, 'online_aht_seconds', 'hour', T0))).toEqual([2400, 1, 2400]);
  });

  it('a STARTED alone is a zero-length contact', () => {
    const out = run([s('STARTED', 'A', T0)]);
    expect(out.contacts[0]).toMatchObject({ start: T0, end: T0, ended_by: 'inactivity' });
    expect(nd(one(out, 'online_aht_seconds', 'day', iso('2024-05-01T00:00:00Z')))).toEqual([0, 1, 0]);
  });

  it('the first ENDED ends it; events at the same time still belong, later ones are late', () => {
    const after = s('BOT_TURN', 'A', T0 + 5 * MIN + 1);
    const secondEnded = s('ENDED', 'A', T0 + 6 * MIN);
    const out = run([
      s('STARTED', 'A', T0),
      s('ENDED', 'A', T0 + 5 * MIN, { event_id: 'A-end' }),
      s('TRANSFERRED_TO_AGENT', 'A', T0 + 5 * MIN, { event_id: 'A-aaa-transfer' }), // sorts before A-end; same time
      s('BOT_TURN', 'A', T0 + 5 * MIN, { event_id: 'A-zzz-turn' }), // sorts after A-end; same time
      after,
      secondEnded,
    ]);
    expect(out.contacts[0]).toMatchObject({ end: T0 + 5 * MIN, ended_by: 'ENDED', transferred: true, bot_turns: 1 });
    expect(out.deadLetters).toEqual([
      { event_id: after.event.event_id, reason: 'late' },
      { event_id: secondEnded.event.event_id, reason: 'late' },
    ]);
  });

  it('an inactivity gap before the ENDED ends the contact at the last event before the gap', () => {
    const far = s('BOT_TURN', 'A', T0 + 40 * MIN);
    const end = s('ENDED', 'A', T0 + 41 * MIN);
    const out = run([s('STARTED', 'A', T0), s('BOT_TURN', 'A', T0 + 5 * MIN), far, end]);
    expect(out.contacts[0]).toMatchObject({ end: T0 + 5 * MIN, ended_by: 'inactivity', bot_turns: 1 });
    expect(out.deadLetters.map((d) => d.reason)).toEqual(['late', 'late']);
  });

  it('events before STARTED and sessions without STARTED are orphans', () => {
    const early = s('BOT_TURN', 'A', T0 - 1);
    const sameTime = s('BOT_TURN', 'A', T0, { event_id: '0-sorts-before-started-by-id' });
    const lone1 = s('BOT_TURN', 'X', T0);
    const lone2 = s('ENDED', 'X', T0 + MIN);
    const out = run([early, lone1, sameTime, s('STARTED', 'A', T0), lone2, s('ENDED', 'A', T0 + MIN)]);
    expect(out.contacts.map((c) => [c.session_id, c.bot_turns])).toEqual([['A', 1]]); // same-time event belongs
    expect(out.deadLetters).toEqual([
      { event_id: early.event.event_id, reason: 'orphan' },
      { event_id: lone1.event.event_id, reason: 'orphan' },
      { event_id: lone2.event.event_id, reason: 'orphan' },
    ]);
  });

  it('a second STARTED is invalid while the contact is open, late once its window closed', () => {
    const second = s('STARTED', 'A', T0 + 2 * MIN, { channel: 'WEB' });
    const afterClose = s('STARTED', 'A', T0 + 150 * MIN, { channel: 'WEB' });
    const out = run([
      s('STARTED', 'A', T0 + MIN),
      second,
      s('ENDED', 'A', T0 + 3 * MIN),
      s('STARTED', 'B', T0 + 3 * HOUR), // stream time → T0 + 3 h; A's window (end T0 + 3 min) closed
      afterClose, // on time for the stream (≥ T0 + 2 h) but its contact is closed
    ]);
    expect(out.deadLetters).toEqual([
      { event_id: second.event.event_id, reason: 'invalid' },
      { event_id: afterClose.event.event_id, reason: 'late' },
    ]);
    expect(out.contacts.find((c) => c.session_id === 'A')).toMatchObject({ channel: 'APP', start: T0 + MIN });
  });

  it('a contact across midnight in Asia/Shanghai counts in the day it started', () => {
    const start = iso('2024-05-01T15:50:00Z'); // 23:50 on 1 May in Shanghai
    const out = run([s('STARTED', 'M', start), s('ENDED', 'M', iso('2024-05-01T16:10:00Z'))], { timeZone: 'Asia/Shanghai' });
    const may1 = iso('2024-04-30T16:00:00Z'); // 00:00 on 1 May, UTC+8
    expect(nd(one(out, 'contacts', 'day', may1))).toEqual([1, 1, 1]);
    expect(nd(one(out, 'online_aht_seconds', 'day', may1))).toEqual([1200, 1, 1200]);
    expect(nd(one(out, 'online_aht_seconds', 'hour', iso('2024-05-01T15:00:00Z')))).toEqual([1200, 1, 1200]);
    expect(rowsOf(out, 'contacts', 'day').map((r) => r.bucket)).toEqual([may1]);
  });
});

describe('reference: first-contact resolution window', () => {
  const dayOf = (t: number) => iso(new Date(t).toISOString().slice(0, 10) + 'T00:00:00Z');

  function scenario(repeatAt: number) {
    const end = T0 + 10 * MIN;
    return run([
      s('STARTED', 'C1', T0),
      s('ENDED', 'C1', end),
      s('STARTED', 'SAME-MS', T0, { user_id: 'u1' }), // starts at the same ms: not "after"
      s('STARTED', 'OTHER-PRODUCT', T0 + HOUR, { product: 'P2' }),
      s('STARTED', 'OTHER-USER', T0 + HOUR, { user_id: 'u2' }),
      s('STARTED', 'C2', repeatAt),
    ]);
  }

  it('a repeat contact exactly at end + window (inclusive) makes the first one unresolved', () => {
    const end = T0 + 10 * MIN;
    const out = scenario(end + DAY);
    const c = new Map(out.contacts.map((x) => [x.session_id, x.fcr_resolved]));
    expect(c.get('C1')).toBe(false);
    expect(c.get('SAME-MS')).toBe(true); // zero-length, window (T0, T0 + 24 h]: C2 is 10 min too late; C1 is not "after"
    expect(c.get('C2')).toBe(true);
    expect(c.get('OTHER-PRODUCT')).toBe(true);
    expect(c.get('OTHER-USER')).toBe(true);
    // day of T0, product P1, channel APP: C1 (no), SAME-MS (yes), OTHER-USER (yes)
    expect(nd(one(out, 'fcr_rate', 'day', dayOf(T0), { product: 'P1' }))).toEqual([2, 3, 2 / 3]);
    expect(nd(one(out, 'fcr_rate', 'day', dayOf(end + DAY), { product: 'P1' }))).toEqual([1, 1, 1]);
    expect(nd(one(out, 'self_service_resolution_rate', 'day', dayOf(T0), { product: 'P1' }))).toEqual([2, 3, 2 / 3]);
    expect(nd(one(out, 'fcr_rate', 'hour', T0, { product: 'P1' }))).toEqual([1, 2, 0.5]);
  });

  it('a repeat contact 1 ms after end + window leaves it resolved', () => {
    const end = T0 + 10 * MIN;
    const out = scenario(end + DAY + 1);
    const c = new Map(out.contacts.map((x) => [x.session_id, x.fcr_resolved]));
    expect(c.get('C1')).toBe(true); // SAME-MS starts at the same ms: not after C1's start
    expect(c.get('SAME-MS')).toBe(true);
    expect(nd(one(out, 'fcr_rate', 'day', dayOf(T0), { product: 'P1' }))).toEqual([3, 3, 1]);
  });
});

describe('reference: outreach retention window', () => {
  it('retained iff the first outcome in [CONTACTED, CONTACTED + 30 d] is RETAINED', () => {
    const users = ['d29', 'd30', 'd30+1ms', 'd31', 'churn-first', 'outcome-before'];
    const items: Item[] = users.map((u) => outreach('CONTACTED', u, T0));
    items.push(
      outreach('RETAINED', 'outcome-before', T0 - 1), // before CONTACTED: ignored
      outreach('CHURNED', 'churn-first', T0 + DAY),
      outreach('RETAINED', 'churn-first', T0 + 2 * DAY),
      outreach('RETAINED', 'd29', T0 + 29 * DAY),
      outreach('RETAINED', 'd30', T0 + 30 * DAY), // exactly at the window end: inclusive
      outreach('RETAINED', 'd30+1ms', T0 + 30 * DAY + 1),
      outreach('RETAINED', 'd31', T0 + 31 * DAY),
    );
    const out = run(items);
    expect(out.deadLetters).toEqual([]);
    expect(rowsOf(out, 'outreach_retention_rate')).toEqual([
      {
        grain: 'day',
        bucket: iso('2024-05-01T00:00:00Z'),
        metric: 'outreach_retention_rate',
        business_unit: 'BU1',
        product: 'P1',
        channel: 'PHONE',
        numerator: 2,
        denominator: 6,
        value: 2 / 6,
      },
    ]);
  });
});

describe('reference: agents', () => {
  it('a shift across midnight splits 2.5 h + 1.5 h over two days (Asia/Shanghai)', () => {
    const login = iso('2024-05-01T13:30:00Z'); // 21:30 local
    const logout = iso('2024-05-01T17:30:00Z'); // 01:30 next day local
    const out = run([agent('LOGGED_IN', 'a1', login), agent('LOGGED_OUT', 'a1', logout)], { timeZone: 'Asia/Shanghai' });
    const may1 = iso('2024-04-30T16:00:00Z');
    const may2 = iso('2024-05-01T16:00:00Z');
    expect(rowsOf(out, 'staffed_hours').map((r) => [r.bucket, r.numerator, r.denominator, r.value, r.product, r.channel])).toEqual([
      [may1, 2.5, 1, 2.5, 'IN_HOUSE', ''],
      [may2, 1.5, 1, 1.5, 'IN_HOUSE', ''],
    ]);
    expect(rowsOf(out, 'headcount').map((r) => [r.bucket, r.value])).toEqual([
      [may1, 1],
      [may2, 1],
    ]);
    expect(rowsOf(out, 'staffed_hours', 'hour').map((r) => r.value)).toEqual([0.5, 1, 1, 1, 0.5]);
    const minutes = rowsOf(out, 'staffed_hours', 'minute');
    expect(minutes).toHaveLength(240);
    expect(minutes.reduce((a, r) => a + r.numerator, 0)).toBeCloseTo(4, 9);
    expect(rowsOf(out, 'headcount', 'minute')).toHaveLength(240);
  });

  it('headcount is distinct per bucket and site type; shift ends at logout, next login or 12 h', () => {
    const h10 = iso('2024-05-01T10:00:00Z');
    const day = iso('2024-05-01T00:00:00Z');
    const orphanOut = agent('LOGGED_OUT', 'a6', h10 + 30 * MIN);
    const out = run([
      agent('LOGGED_IN', 'a1', h10),
      agent('LOGGED_OUT', 'a1', h10 + 15 * MIN),
      agent('LOGGED_IN', 'a1', h10 + 30 * MIN),
      agent('LOGGED_OUT', 'a1', h10 + 45 * MIN),
      agent('LOGGED_IN', 'a3', h10 + 20 * MIN),
      agent('LOGGED_OUT', 'a3', h10 + 50 * MIN),
      agent('LOGGED_IN', 'a2', h10 + 10 * MIN, { site_type: 'OUTSOURCED' }),
      agent('LOGGED_OUT', 'a2', h10 + 70 * MIN, { site_type: 'OUTSOURCED' }),
      orphanOut,
    ]);
    expect(out.deadLetters).toEqual([{ event_id: orphanOut.event.event_id, reason: 'orphan' }]);
    expect(one(out, 'headcount', 'hour', h10, { product: 'IN_HOUSE' }).value).toBe(2);
    expect(one(out, 'staffed_hours', 'hour', h10, { product: 'IN_HOUSE' }).value).toBeCloseTo(1, 12);
    expect(one(out, 'headcount', 'hour', h10, { product: 'OUTSOURCED' }).value).toBe(1);
    expect(one(out, 'staffed_hours', 'hour', h10, { product: 'OUTSOURCED' }).value).toBeCloseTo(50 / 60, 12);
    expect(one(out, 'staffed_hours', 'hour', h10 + HOUR, { product: 'OUTSOURCED' }).value).toBeCloseTo(10 / 60, 12);
    expect(one(out, 'headcount', 'day', day, { product: 'IN_HOUSE' }).value).toBe(2);
    expect(one(out, 'headcount', 'minute', h10 + 12 * MIN, { product: 'IN_HOUSE' }).value).toBe(1);
    expect(one(out, 'headcount', 'minute', h10 + 22 * MIN, { product: 'IN_HOUSE' }).value).toBe(1); // a1 logged out at :15
    expect(one(out, 'headcount', 'minute', h10 + 31 * MIN, { product: 'IN_HOUSE' }).value).toBe(2);
  });

  it('caps a shift at 12 h, closes it at the next login, ignores a logout after the cap', () => {
    const d = iso('2024-05-01T00:00:00Z');
    const out = run([
      agent('LOGGED_IN', 'cap', d),
      agent('LOGGED_IN', 'relog', d, { business_unit: 'BU2' }),
      agent('LOGGED_IN', 'late-out', d, { business_unit: 'BU3' }),
      agent('LOGGED_IN', 'relog', d + 2 * HOUR, { business_unit: 'BU2' }),
      agent('LOGGED_OUT', 'relog', d + 3 * HOUR, { business_unit: 'BU2' }),
      agent('LOGGED_OUT', 'late-out', d + 13 * HOUR, { business_unit: 'BU3' }),
    ]);
    expect(out.deadLetters).toEqual([]);
    expect(one(out, 'staffed_hours', 'day', d, { business_unit: 'BU1' }).value).toBe(12);
    expect(one(out, 'staffed_hours', 'day', d, { business_unit: 'BU2' }).value).toBe(3);
    expect(one(out, 'headcount', 'day', d, { business_unit: 'BU2' }).value).toBe(1);
    expect(one(out, 'staffed_hours', 'day', d, { business_unit: 'BU3' }).value).toBe(12);
    expect(rowsOf(out, 'staffed_hours', 'hour').filter((r) => r.business_unit === 'BU1')).toHaveLength(12);
  });
});

describe('reference: time zones and DST', () => {
  it('America/New_York spring-forward day has 23 hour buckets', () => {
    const tz = 'America/New_York';
    const dayStart = iso('2024-03-10T05:00:00Z'); // 00:00 EST
    const nextDay = iso('2024-03-11T04:00:00Z'); // 00:00 EDT
    const items: Item[] = [];
    for (let t = dayStart, i = 0; t < nextDay; t += 30 * MIN, i++) items.push(s('STARTED', `S${i}`, t, { user_id: `u${i}` }));
    items.push(agent('LOGGED_IN', 'a1', dayStart), agent('LOGGED_OUT', 'a1', iso('2024-03-10T16:00:00Z'))); // 00:00 EST → 12:00 EDT
    const out = run(items, { timeZone: tz });
    expect(items.length - 2).toBe(46);
    expect(rowsOf(out, 'contacts', 'day').map((r) => [r.bucket, r.value])).toEqual([[dayStart, 46]]);
    const hours = rowsOf(out, 'contacts', 'hour');
    expect(hours).toHaveLength(23);
    expect(hours.every((r) => r.value === 2)).toBe(true);
    expect(hours.map((r) => r.bucket)).toEqual(Array.from({ length: 23 }, (_, i) => dayStart + i * HOUR));
    expect(one(out, 'staffed_hours', 'day', dayStart).value).toBe(11); // local 00:00 → 12:00 is 11 real hours
    expect(rowsOf(out, 'staffed_hours', 'hour')).toHaveLength(11);
  });

  it('America/New_York fall-back day has 25 hours and two distinct 01:00 hour buckets', () => {
    const cal = new LocalCalendar('America/New_York');
    const t = iso('2024-11-03T12:00:00Z');
    expect(cal.bucketStart(t, 'day')).toBe(iso('2024-11-03T04:00:00Z'));
    expect(cal.bucketEnd(t, 'day') - cal.bucketStart(t, 'day')).toBe(25 * HOUR);
    expect(cal.bucketStart(iso('2024-11-03T05:30:00Z'), 'hour')).toBe(iso('2024-11-03T05:00:00Z')); // 01:30 EDT
    expect(cal.bucketStart(iso('2024-11-03T06:30:00Z'), 'hour')).toBe(iso('2024-11-03T06:00:00Z')); // 01:30 EST
    const spring = iso('2024-03-10T12:00:00Z');
    expect(cal.bucketEnd(spring, 'day') - cal.bucketStart(spring, 'day')).toBe(23 * HOUR);
  });

  it('buckets follow half-hour offsets and the Shanghai local day', () => {
    const kol = new LocalCalendar('Asia/Kolkata');
    expect(kol.bucketStart(iso('2024-05-01T10:10:00Z'), 'hour')).toBe(iso('2024-05-01T09:30:00Z'));
    expect(kol.bucketStart(iso('2024-05-01T10:10:00Z'), 'day')).toBe(iso('2024-04-30T18:30:00Z'));
    const sh = new LocalCalendar('Asia/Shanghai');
    expect(sh.bucketStart(iso('2024-05-01T15:59:59.999Z'), 'day')).toBe(iso('2024-04-30T16:00:00Z'));
    expect(sh.bucketStart(iso('2024-05-01T16:00:00Z'), 'day')).toBe(iso('2024-05-01T16:00:00Z'));
    const utc = new LocalCalendar('UTC');
    expect(utc.bucketStart(iso('2024-05-01T10:10:59.999Z'), 'minute')).toBe(iso('2024-05-01T10:10:00Z'));
    expect(utc.bucketEnd(iso('2024-05-01T10:10:59.999Z'), 'minute')).toBe(iso('2024-05-01T10:11:00Z'));
  });
});

describe('reference: calls, surveys, complaints, QA, voice bot', () => {
  const day = iso('2024-05-01T00:00:00Z');

  it('counts calls from OFFERED; first ANSWERED/ENDED count; no OFFERED is an orphan', () => {
    const orphan = call('ANSWERED', 'c4', T0, { wait_ms: 1 });
    const out = run([
      call('OFFERED', 'c1', T0),
      call('ANSWERED', 'c1', T0 + 20_000, { wait_ms: 20_000 }),
      call('ANSWERED', 'c1', T0 + 99_999, { wait_ms: 99_999 }), // not the first: ignored
      call('ENDED', 'c1', T0 + 200_000, { talk_ms: 100_000, hold_ms: 20_000, acw_ms: 30_000 }),
      call('OFFERED', 'c2', T0),
      call('ANSWERED', 'c2', T0 + 20_001, { wait_ms: 20_001 }),
      call('ENDED', 'c3', T0 + 5000, { talk_ms: 0, hold_ms: 0, acw_ms: 0 }), // before its OFFERED arrives
      call('OFFERED', 'c3', T0),
      call('ABANDONED', 'c3', T0 + 5000, { wait_ms: 5000 }),
      orphan,
    ]);
    expect(out.deadLetters).toEqual([{ event_id: orphan.event.event_id, reason: 'orphan' }]);
    const dims = { channel: 'HOTLINE' };
    expect(nd(one(out, 'human_answer_rate', 'day', day, dims))).toEqual([2, 3, 2 / 3]);
    expect(nd(one(out, 'service_level_20s', 'day', day, dims))).toEqual([1, 3, 1 / 3]);
    expect(nd(one(out, 'abandon_rate', 'day', day, dims))).toEqual([1, 3, 1 / 3]);
    expect(nd(one(out, 'human_aht_seconds', 'day', day, dims))).toEqual([150, 1, 150]); // c3 ended but not answered
  });

  it('surveys: top box over valid responses; self-service subset', () => {
    const out = run([
      survey(T0, { score: 5, handled_by: 'SELF_SERVICE' }),
      survey(T0, { score: 4, handled_by: 'HUMAN' }),
      survey(T0, { score: 5, handled_by: 'SELF_SERVICE', valid: false }),
      survey(T0, { score: 3, handled_by: 'SELF_SERVICE' }),
    ]);
    expect(nd(one(out, 'satisfaction_top_box', 'day', day))).toEqual([1, 3, 1 / 3]);
    expect(nd(one(out, 'self_service_satisfaction', 'day', day))).toEqual([1, 2, 0.5]);
  });

  it('complaints per 10k contacts; UPHELD once, in the FILED bucket; UPHELD without FILED is an orphan', () => {
    const orphanUpheld = complaint('UPHELD', 'k3', T0);
    const out = run([
      s('STARTED', 'A', T0),
      s('STARTED', 'B', T0, { user_id: 'u2' }),
      s('STARTED', 'C', T0, { user_id: 'u3' }),
      complaint('FILED', 'k1', T0),
      complaint('UPHELD', 'k1', T0 + 2 * DAY - 1),
      complaint('UPHELD', 'k1', T0 + 2 * DAY),
      complaint('FILED', 'k2', T0),
      complaint('REJECTED', 'k2', T0 + DAY),
      orphanUpheld,
      complaint('FILED', 'k4', T0, { channel: 'HOTLINE' }), // no contacts with these dims
    ], { partitionOf: perKey() });
    expect(out.deadLetters).toEqual([{ event_id: orphanUpheld.event.event_id, reason: 'orphan' }]);
    expect(nd(one(out, 'complaints_per_10k', 'day', day, { channel: 'APP' }))).toEqual([2, 3, (2 / 3) * 10000]);
    expect(nd(one(out, 'upheld_complaints_per_10k', 'day', day, { channel: 'APP' }))).toEqual([1, 3, (1 / 3) * 10000]);
    expect(nd(one(out, 'complaints_per_10k', 'day', day, { channel: 'HOTLINE' }))).toEqual([1, 0, null]);
    expect(nd(one(out, 'upheld_complaints_per_10k', 'day', day, { channel: 'HOTLINE' }))).toEqual([0, 0, null]);
    expect(rowsOf(out, 'upheld_complaints_per_10k').map((r) => r.bucket)).toEqual([day, day]); // nothing in the UPHELD days
  });

  it('QA average score and pass rate', () => {
    const out = run([qa(T0, 80, true), qa(T0, 50, false)]);
    expect(nd(one(out, 'qa_avg_score', 'day', day))).toEqual([130, 2, 65]);
    expect(nd(one(out, 'qa_pass_rate', 'day', day))).toEqual([1, 2, 0.5]);
  });

  it('voice-bot metrics over ended HOTLINE self-service-entry contacts', () => {
    const H = { channel: 'HOTLINE' };
    const out = run([
      s('STARTED', 'v1', T0, H),
      s('QUESTION_RECOGNIZED', 'v1', T0 + 1, H),
      s('QUESTION_CONFIRMED', 'v1', T0 + 2, H),
      s('BOT_TURN', 'v1', T0 + 3, H),
      s('BOT_TURN', 'v1', T0 + 4, H),
      s('BOT_TURN', 'v1', T0 + 5, H),
      s('STARTED', 'v2', T0, { ...H, user_id: 'u2' }),
      s('QUESTION_RECOGNIZED', 'v2', T0 + 1, { ...H, user_id: 'u2' }),
      s('BOT_TURN', 'v2', T0 + 2, { ...H, user_id: 'u2' }),
      s('STARTED', 'v3', T0, { ...H, user_id: 'u3' }),
      s('BOT_TURN', 'v3', T0 + 1, { ...H, user_id: 'u3' }),
      s('BOT_TURN', 'v3', T0 + 2, { ...H, user_id: 'u3' }),
      s('STARTED', 'v4', T0, { ...H, user_id: 'u4' }),
      s('QUESTION_CONFIRMED', 'v4', T0 + 1, { ...H, user_id: 'u4' }), // confirmed without recognized (C8)
      s('STARTED', 'human', T0, { ...H, user_id: 'u5', entry: 'HUMAN' }),
      s('BOT_TURN', 'human', T0 + 1, { ...H, user_id: 'u5' }),
    ]);
    expect(nd(one(out, 'voicebot_recognition_coverage', 'day', day))).toEqual([2, 4, 0.5]);
    expect(nd(one(out, 'voicebot_confirmation_rate', 'day', day))).toEqual([1, 2, 0.5]);
    expect(nd(one(out, 'voicebot_avg_turns', 'day', day))).toEqual([6, 4, 1.5]);
    expect(rowsOf(out, 'online_aht_seconds')).toEqual([]);
    expect(nd(one(out, 'contacts', 'day', day))).toEqual([5, 1, 5]);
    expect(nd(one(out, 'self_service_share', 'day', day))).toEqual([4, 5, 0.8]);
  });
});

describe('reference: live mode (L1–L9)', () => {
  const day = iso('2024-05-01T00:00:00Z');
  const live = (items: Item[], opts: Partial<Omit<ReferenceInput, 'events'>> = {}) => run(items, { ...opts, live: true });
  const decision = (out: ReferenceOutput, sessionId: string) => out.decisions.contacts.find((c) => c.session_id === sessionId);

  it('counts a contact in the ended-contact metrics at its ENDED; an open one only in the start denominators', () => {
    const items = [
      s('STARTED', 'A', T0),
      s('BOT_TURN', 'A', T0 + MIN),
      s('ENDED', 'A', T0 + 2 * MIN),
      s('STARTED', 'B', T0 + MIN, { user_id: 'u2', entry: 'HUMAN' }),
      s('BOT_TURN', 'B', T0 + 3 * MIN, { user_id: 'u2' }),
    ];
    const out = live(items);
    expect(out.decisions.contacts).toEqual([
      { session_id: 'A', counted: true, fcr: 'undecided' },
      { session_id: 'B', counted: false, fcr: 'undecided' },
    ]);
    expect(nd(one(out, 'contacts', 'day', day))).toEqual([2, 1, 2]);
    expect(nd(one(out, 'complaints_per_10k', 'day', day))).toEqual([0, 2, 0]);
    expect(nd(one(out, 'upheld_complaints_per_10k', 'day', day))).toEqual([0, 2, 0]);
    expect(nd(one(out, 'self_service_share', 'day', day))).toEqual([1, 1, 1]);
    expect(nd(one(out, 'self_service_transfer_rate', 'day', day))).toEqual([0, 1, 0]);
    expect(nd(one(out, 'online_aht_seconds', 'day', day))).toEqual([120, 1, 120]);
    expect(rowsOf(out, 'fcr_rate')).toEqual([]); // nothing decided yet
    expect(out.streamTimes).toEqual([{ topic: 'cs.sessions', partition: 0, streamTime: T0 + 3 * MIN }]);
    // Final mode: B is ended by inactivity and every FCR window is closed.
    const fin = run(items);
    expect(nd(one(fin, 'self_service_share', 'day', day))).toEqual([1, 2, 0.5]);
    expect(nd(one(fin, 'fcr_rate', 'day', day))).toEqual([2, 2, 1]);
    expect(fin.decisions.contacts.map((c) => [c.session_id, c.counted, c.fcr])).toEqual([
      ['A', true, 'window'],
      ['B', true, 'window'],
    ]);
  });

  it('a later event before the ENDED changes the live contribution (transfer), nothing twice', () => {
    const before = live([s('STARTED', 'A', T0), s('ENDED', 'A', T0 + 5 * MIN)]);
    expect(nd(one(before, 'self_service_share', 'hour', T0))).toEqual([1, 1, 1]);
    const after = live([s('STARTED', 'A', T0), s('ENDED', 'A', T0 + 5 * MIN), s('TRANSFERRED_TO_AGENT', 'A', T0 + 2 * MIN)]);
    expect(nd(one(after, 'self_service_share', 'hour', T0))).toEqual([0, 1, 0]);
    expect(nd(one(after, 'self_service_transfer_rate', 'hour', T0))).toEqual([1, 1, 1]);
    expect(after.contacts[0]).toMatchObject({ transferred: true, self_service: false });
  });

  it('inactivity closes a contact only once last member + 30 min < stream time − lateness', () => {
    const contact = [s('STARTED', 'B', T0), s('BOT_TURN', 'B', T0 + 5 * MIN)]; // window end T0 + 35 min
    const clock = (t: number) => s('STARTED', `clock-${t}`, t, { user_id: 'u-clock', channel: 'WEB' });
    const atBound = live([...contact, clock(T0 + 95 * MIN)]); // H = T0 + 35 min: not before it
    expect(decision(atBound, 'B')?.counted).toBe(false);
    expect(rowsOf(atBound, 'self_service_share')).toEqual([]); // neither B nor the clock contact has ended
    const past = live([...contact, clock(T0 + 95 * MIN + 1)]);
    expect(decision(past, 'B')?.counted).toBe(true);
    expect(past.contacts.find((c) => c.session_id === 'B')).toMatchObject({ end: T0 + 5 * MIN, ended_by: 'inactivity' });
    expect(nd(one(past, 'online_aht_seconds', 'day', day, { channel: 'APP' }))).toEqual([300, 1, 300]);
    // Stream time is per partition: the clock on another partition closes nothing here.
    const elsewhere = live([...contact, clock(T0 + 3 * HOUR)], { partitionOf: (_t, key) => (key === 'u-clock' ? 1 : 0) });
    expect(decision(elsewhere, 'B')?.counted).toBe(false);
  });

  it('FCR: a repeat decides at once; resolution only once end + window < stream time − lateness', () => {
    const end = T0 + 10 * MIN;
    const base = [
      s('STARTED', 'C1', T0),
      s('ENDED', 'C1', end),
      s('STARTED', 'D', T0, { user_id: 'u2' }),
      s('ENDED', 'D', end, { user_id: 'u2' }),
      s('STARTED', 'R', T0 + 2 * HOUR), // C1's repeat (same user and product)
      s('ENDED', 'R', T0 + 2 * HOUR + MIN),
    ];
    const soon = live(base);
    expect(decision(soon, 'C1')).toEqual({ session_id: 'C1', counted: true, fcr: 'repeat' });
    expect(decision(soon, 'D')?.fcr).toBe('undecided');
    expect(decision(soon, 'R')?.fcr).toBe('undecided');
    expect(nd(one(soon, 'fcr_rate', 'hour', T0))).toEqual([0, 1, 0]); // C1 only
    expect(nd(one(soon, 'self_service_resolution_rate', 'hour', T0))).toEqual([0, 1, 0]);
    expect(nd(one(soon, 'self_service_share', 'hour', T0))).toEqual([2, 2, 1]); // C1 and D ended
    const clock = (t: number) => s('STARTED', `clock-${t}`, t, { user_id: 'u-clock' });
    const atBound = live([...base, clock(end + DAY + HOUR)]); // H = end + 24 h: not before it
    expect(decision(atBound, 'D')?.fcr).toBe('undecided');
    const past = live([...base, clock(end + DAY + HOUR + 1)]);
    expect(decision(past, 'D')?.fcr).toBe('window');
    expect(decision(past, 'R')?.fcr).toBe('undecided'); // R ends 2 h later
    expect(nd(one(past, 'fcr_rate', 'hour', T0))).toEqual([1, 2, 0.5]);
    expect(past.contacts.find((c) => c.session_id === 'D')?.fcr_resolved).toBe(true);
  });

  it('FCR: a contact not yet ended is undecided even with a repeat', () => {
    const out = live([s('STARTED', 'OPEN', T0), s('STARTED', 'NEXT', T0 + MIN)]);
    expect(out.decisions.contacts).toEqual([
      { session_id: 'OPEN', counted: false, fcr: 'undecided' },
      { session_id: 'NEXT', counted: false, fcr: 'undecided' },
    ]);
    expect(rowsOf(out, 'fcr_rate')).toEqual([]);
  });

  it('outreach: an outcome decides at once; without one only once CONTACTED + window < stream time − lateness', () => {
    // 'kept' has its own partition, so an earlier outcome of it can still arrive on time.
    const partitionOf = (_t: Topic, key: string) => (key === 'kept' ? 1 : 0);
    const base = [
      outreach('CONTACTED', 'kept', T0),
      outreach('CONTACTED', 'lost', T0),
      outreach('CONTACTED', 'silent', T0),
      outreach('RETAINED', 'kept', T0 + 2 * HOUR),
      outreach('CHURNED', 'lost', T0 + 2 * DAY),
    ];
    const live = (items: Item[]) => run(items, { live: true, partitionOf });
    const soon = live(base);
    expect(soon.decisions.outreach.map((o) => [o.user_id, o.decided_by, o.retained])).toEqual([
      ['kept', 'outcome', true],
      ['lost', 'outcome', false],
      ['silent', 'undecided', false],
    ]);
    expect(nd(one(soon, 'outreach_retention_rate', 'day', day))).toEqual([1, 2, 0.5]);
    const clock = (t: number) => outreach('CHURNED', 'someone-else', t);
    const atBound = live([...base, clock(T0 + 30 * DAY + HOUR)]);
    expect(atBound.decisions.outreach.find((o) => o.user_id === 'silent')?.decided_by).toBe('undecided');
    const past = live([...base, clock(T0 + 30 * DAY + HOUR + 1)]);
    expect(past.decisions.outreach.find((o) => o.user_id === 'silent')?.decided_by).toBe('window');
    expect(nd(one(past, 'outreach_retention_rate', 'day', day))).toEqual([1, 3, 1 / 3]);
    // A later-arriving earlier outcome replaces the first one.
    const changed = live([...base, outreach('CHURNED', 'kept', T0 + 90 * MIN)]);
    expect(changed.decisions.outreach.find((o) => o.user_id === 'kept')).toMatchObject({ decided_by: 'outcome', retained: false });
    expect(nd(one(changed, 'outreach_retention_rate', 'day', day))).toEqual([0, 2, 0]);
  });

  it('agents: an open shift accrues up to the stream-time minute; a closed one counts whole', () => {
    const h10 = iso('2024-05-01T10:00:00Z');
    const partitionOf = (_t: Topic, key: string) => (key === 'lonely' ? 1 : 0);
    const out = live(
      [
        agent('LOGGED_IN', 'open', h10 + 30_000), // 10:00:30, no next event
        agent('LOGGED_IN', 'closed', h10),
        agent('LOGGED_OUT', 'closed', h10 + 2 * MIN + 30_000), // whole 2.5 min, not cut to a minute
        agent('LOGGED_IN', 'just-in', h10 + 5 * MIN + 45_000), // stream time 10:05:45 → minute 10:05
        agent('LOGGED_IN', 'lonely', h10), // its partition's stream time is its own login
      ],
      { partitionOf },
    );
    const hours = (r: MetricRow) => Math.round(r.numerator * 3_600_000);
    expect(hours(one(out, 'staffed_hours', 'hour', h10))).toBe(4.5 * MIN + 2.5 * MIN); // open 10:00:30–10:05 + closed
    expect(one(out, 'headcount', 'hour', h10).value).toBe(2); // just-in and lonely accrued nothing
    expect(rowsOf(out, 'staffed_hours', 'minute').map((r) => [r.bucket - h10, hours(r)])).toEqual([
      [0, 1.5 * MIN], // open from :30, closed the whole minute
      [MIN, 2 * MIN],
      [2 * MIN, 1.5 * MIN], // closed until 10:02:30
      [3 * MIN, MIN],
      [4 * MIN, MIN],
    ]);
    // The 12 h cap still holds for an open shift.
    const capped = live([agent('LOGGED_IN', 'a', h10), agent('LOGGED_IN', 'b', h10 + 13 * HOUR)]);
    expect(one(capped, 'staffed_hours', 'day', day).value).toBe(12);
    // Final mode: the open shift runs to its cap.
    const fin = run([agent('LOGGED_IN', 'open', h10 + 30_000), agent('LOGGED_IN', 'other', h10 + 5 * MIN)]);
    expect(one(fin, 'staffed_hours', 'day', day).value).toBe(24);
  });
});
