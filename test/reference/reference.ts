/**
 * Independent reference calculator for SPEC §3–§7 (events → cs.metrics rows, cs.contacts rows,
 * dead letters). It is deliberately plain and slow: every figure is computed from the complete
 * set of accepted events after the whole input has been read. Two modes:
 *  - final (default): "the wall clock is after everything": every window is closed, every figure
 *    final (the batch recomputation of SPEC §4);
 *  - live (`live: true`, L1–L9 below): the figures `cs.metrics` shows at the end of the input
 *    when nothing has closed on the wall clock (SPEC §4 "Live, then exact").
 * It shares NO code with services/processor/ — only the event types (@cs/schemas) and the metric
 * list (@cs/catalog).
 *
 * INTERPRETATION CHOICES (where SPEC is silent or ambiguous). Each is deliberate; a processor
 * that disagrees with one of them is not necessarily wrong, but the difference must be explained.
 *
 * Intake (per event, in `arrival` order):
 *  I1. Events are processed in ascending `arrival`; partition = partitionOf(topic, key) with key
 *      = user_id (sessions, calls, surveys, outreach), complaint_id, agent_id, review_id.
 *  I2. Dedup is per (topic, event_id) and is checked FIRST: a redelivery of an event_id that was
 *      already accepted is ignored silently (no dead letter, no metric change) even if it would
 *      now be late. A redelivery of an event that was dead-lettered AT ARRIVAL (late / invalid)
 *      is judged again and, if rejected again, yields another dead-letter entry (one per
 *      delivery). Events dead-lettered only at the end (orphan, late-after-contact-end) were
 *      accepted at arrival, so their redeliveries are ignored: one dead letter per event_id.
 *  I3. Stream time of (topic, partition) = max event_time of every event that passed the
 *      stream-lateness check on it (accepted or later dead-lettered as orphan/invalid/late-by-
 *      window alike). Late iff event_time < streamTimeBefore − allowedLateness (strict: exactly
 *      at the bound is on time). A late event does not advance stream time.
 *  I4. Stream time is advanced by the arriving event BEFORE window-closure checks for that same
 *      event (advance, then check).
 *  I5. No `future` dead letters (the wall clock is after everything) and no schema/semantic
 *      validation: input events are assumed well-formed. Reasons produced: late, orphan, invalid.
 *  I6. Dead letters are returned as {event_id, reason} ordered by arrival of the delivery.
 *
 * Contacts (SPEC §5):
 *  C1. Sessions are grouped by session_id (globally; a session is assumed to belong to one user).
 *  C2. Only the first STARTED by arrival counts. A later STARTED (other event_id) → `invalid`,
 *      unless the contact's window is already closed at its arrival, then → `late` (the closure
 *      check comes first).
 *  C3. At arrival, for a session whose STARTED is accepted: the contact as known so far (walk of
 *      C4 over the events accepted so far) has window end = its ENDED time, or last member +
 *      30 min without ENDED. If window end < streamTime − allowedLateness → `late`.
 *      (Sessions without an accepted STARTED have no window and buffer events.)
 *  C4. Final walk: the session's accepted events sorted by (event_time, STARTED first, event_id).
 *      Events sorted before STARTED → `orphan`. From STARTED forward: a gap > 30 min (strictly;
 *      exactly 30 min continues the contact) between consecutive events ends the contact at the
 *      previous event (ended_by 'inactivity', end = that event's time); the first ENDED ends it
 *      (ended_by 'ENDED', end = ENDED time) and events with the same event_time as that ENDED
 *      still belong (any type). All remaining events → `late`. A session with no accepted
 *      STARTED → all its events `orphan`.
 *  C5. Contact facts come from member events only. transferred = ≥1 TRANSFERRED_TO_AGENT;
 *      self_service_entry = STARTED.entry === 'SELF_SERVICE'; self_service = entry && !transferred;
 *      online = STARTED.channel !== 'HOTLINE'; duration = (end − start) / 1000 s.
 *      user_id, business_unit, product, channel, entry are those of STARTED.
 *  C6. Every contact is "ended" at the end (idle flush), so every contact is in every "ended"
 *      denominator and every FCR window is closed.
 *  C7. FCR-resolved iff no OTHER contact (another session_id) with the same STARTED user_id and
 *      product has start in (start, end + fcrWindow] (exclusive at start, inclusive at the end).
 *  C8. voicebot_confirmation_rate numerator = contacts with ≥1 QUESTION_RECOGNIZED AND ≥1
 *      QUESTION_CONFIRMED (a subset of its denominator, as the catalog definition reads: "with a
 *      recognized question where the caller confirmed it"); a CONFIRMED without RECOGNIZED does
 *      not count. prediction_hit_rate numerator = ≥1 PREDICTION_SHOWN and ≥1 PREDICTION_CLICKED.
 *      voicebot_avg_turns counts BOT_TURN member events.
 *  C9. Each contact adds denominator 1 to complaints_per_10k and upheld_complaints_per_10k at its
 *      start bucket with its (business_unit, product, channel).
 *
 * Calls:
 *  K1. Grouped by call_id (globally). The first OFFERED by arrival defines the call (bucket of its
 *      event_time, business_unit and product of OFFERED, channel 'HOTLINE'). Later OFFEREDs, and
 *      ANSWERED/ABANDONED/ENDED beyond the first of each type by arrival, are ignored (not
 *      dead-lettered). A call with no accepted OFFERED → all its events `orphan`. Events are
 *      counted regardless of their event_time relative to OFFERED; calls have no window.
 *  K2. service_level_20s numerator: answered and the first ANSWERED's wait_ms ≤ 20000 (a null
 *      wait_ms does not count). human_aht_seconds: calls with an ANSWERED and an ENDED; handle
 *      time = (talk_ms + hold_ms + acw_ms) of the first ENDED, nulls as 0.
 *  K3. A call that is both ANSWERED and ABANDONED counts in both numerators.
 *
 * Surveys / QA:
 *  S1. Every accepted RESPONDED counts (no dedup by survey_id). valid = false → no contribution.
 *      self_service_satisfaction: valid and handled_by === 'SELF_SERVICE'.
 *  Q1. Every accepted REVIEWED counts (no dedup by review_id) in qa_avg_score (Σ score / n) and
 *      qa_pass_rate.
 *
 * Complaints:
 *  P1. Grouped by complaint_id. The first FILED by arrival defines bucket and dims (business_unit,
 *      product, channel of FILED); later FILEDs are ignored. complaints_per_10k numerator +1.
 *  P2. upheld_complaints_per_10k numerator +1 when ≥1 UPHELD is accepted (once per complaint,
 *      in the FILED bucket and dims, regardless of UPHELD's own time). Every FILED complaint
 *      "contributes" to upheld_complaints_per_10k (with 0 or 1), so it creates that row too.
 *  P3. UPHELD and REJECTED of a complaint without an accepted FILED → `orphan`.
 *
 * Outreach:
 *  O1. Every accepted CONTACTED is one outreach (bucket and business_unit/product/channel of it).
 *      Outcome = the first (by event_time, then event_id) accepted RETAINED/CHURNED of the same
 *      user_id (any product/campaign) with event_time in [CONTACTED, CONTACTED + window]
 *      (inclusive both ends). Retained iff that outcome is RETAINED. Denominator: every
 *      CONTACTED (all windows have elapsed at the end). Outcomes matching no CONTACTED are not
 *      dead-lettered. One outcome may serve several CONTACTEDs.
 *
 * Agents:
 *  A1. Per agent_id, accepted events sorted by (event_time, LOGGED_OUT before LOGGED_IN,
 *      event_id). A LOGGED_IN opens a session [in, end) with end = earliest of the next
 *      LOGGED_OUT, the next LOGGED_IN, in + 12 h. A LOGGED_OUT whose preceding event (in that
 *      order) is not a LOGGED_IN → `orphan` (e.g. first event, or a second LOGGED_OUT). A
 *      LOGGED_OUT after the 12 h cap still closes (it is not an orphan; the session ended at the
 *      cap).
 *  A2. Sessions are half-open [in, end): staffed_hours in a bucket = overlap ms / 3 600 000;
 *      headcount = distinct agent_ids with overlap > 0 ms with the bucket, per (business_unit of
 *      LOGGED_IN, site_type of LOGGED_IN); channel ''. Zero-length sessions contribute nothing.
 *
 * Buckets / rows:
 *  B1. Buckets are computed from the local calendar of `timeZone` through Intl.DateTimeFormat
 *      only: a bucket is the maximal contiguous run of instants sharing the local key —
 *      day: local date; hour: local date + hour + UTC offset; minute: local date + hh:mm +
 *      offset (the offset separates the two repeated 01:00 hours of a fall-back day, so a DST
 *      day has 23 or 25 hour buckets). `bucket` = epoch ms of the run's first instant.
 *  B2. A row exists for (grain, bucket, metric, dims) iff some entity was counted in that
 *      metric's numerator or denominator there (possibly adding 0 to the numerator). Count
 *      metrics: denominator 1, value = numerator. Ratios: value = numerator / denominator ×
 *      scale, null when denominator = 0. Sums of durations are accumulated in integer ms and
 *      converted once at output (s or h). Rows sorted by grain, bucket, metric, dims.
 *
 * Live mode (`live: true`): the figures at the END of the input with no window closed by the
 * wall clock. Final mode is the same computation with every horizon at +∞ (L1).
 *  L1. Horizon of a (topic, partition): H_p = S_p − allowedLateness, S_p its stream time (I3) at
 *      the end of the input. Nothing closes on the wall clock (no idle flush). Final mode: H_p =
 *      +∞ for every partition. Intake (I1–I4, C2, C3) is the same in both modes.
 *  L2. Dead letters: only the verdicts given at arrival (late, invalid). The verdicts of the final
 *      walk (orphan, late after the contact's end; orphan calls, complaint outcomes, LOGGED_OUTs)
 *      are not decided yet and are not listed; those events contribute nothing, as in final mode.
 *  L3. contacts, complaints_per_10k and upheld_complaints_per_10k denominators: every accepted
 *      STARTED (C9), whether its contact is counted or not.
 *  L4. A contact (a session with an accepted STARTED; facts from the C4 walk over its accepted
 *      events so far, C5/C8) is COUNTED in the ended-contact metrics (self_service_share,
 *      self_service_transfer_rate, online_aht_seconds, voicebot_*, prediction_hit_rate) iff its
 *      walk ends by ENDED, or its window is closed: window end < H_p of its partition (window end
 *      = ENDED time, or last member + 30 min without ENDED; the partition of its STARTED's
 *      user_id on cs.sessions).
 *  L5. FCR (fcr_rate, self_service_resolution_rate): only counted contacts can be decided. Not
 *      resolved ("decided by a repeat") iff another session's accepted STARTED of the same user_id
 *      and product starts in (start, end + fcrWindow] (C7); otherwise resolved ("decided by the
 *      window") iff end + fcrWindow < H_p; otherwise undecided: in neither numerator nor
 *      denominator. self_service_resolution_rate likewise for the self-service contacts.
 *  L6. Calls, surveys, complaints, QA: as in final mode (K1–K3, S1, Q1, P1–P3): every accepted
 *      event counts at once; events still waiting for their OFFERED / FILED contribute nothing.
 *  L7. Outreach: a CONTACTED at t counts iff the first accepted outcome of its user in
 *      [t, t + window] exists (O1; "decided by the outcome"; retained iff RETAINED), or, with
 *      none, iff t + window < H_p of its user's cs.outreach partition ("decided by the window";
 *      not retained). Otherwise it counts in neither numerator nor denominator.
 *  L8. Agents: shifts as A1/A2, except the end of a shift whose LOGGED_IN has no next event within
 *      the 12 h cap (time ≤ LOGGED_IN + 12 h): it is counted up to min(LOGGED_IN + 12 h,
 *      max(LOGGED_IN, start of the minute bucket containing S_p of the agent's cs.agents
 *      partition)) — open shifts accrue per completed stream-time minute. A shift ended by its
 *      next event is counted whole. (With H_p = +∞, final mode: up to the cap, as A1.)
 *  L9. Rows as B2 (0/0 rows may be absent; comparisons ignore them). The output's `decisions`
 *      list every contact (counted, FCR decision) and every CONTACTED (decision), and
 *      `streamTimes` every partition's S_p, in both modes.
 */
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
import { METRICS, type MetricId } from '@cs/catalog';

// ---------------------------------------------------------------------------------------------
// Public types

export type Grain = 'minute' | 'hour' | 'day';
export const REFERENCE_GRAINS: readonly Grain[] = ['minute', 'hour', 'day'];

export interface MetricRow {
  grain: Grain;
  /** Epoch ms of the bucket's start in the configured time zone. */
  bucket: number;
  metric: MetricId;
  business_unit: string;
  product: string;
  channel: string;
  numerator: number;
  denominator: number;
  value: number | null;
}

export interface ContactRow {
  session_id: string;
  user_id: string;
  business_unit: string;
  product: string;
  channel: string;
  entry: string | null;
  start: number;
  end: number;
  ended_by: 'ENDED' | 'inactivity';
  self_service_entry: boolean;
  transferred: boolean;
  self_service: boolean;
  online: boolean;
  bot_turns: number;
  questions_recognized: number;
  questions_confirmed: number;
  prediction_shown: boolean;
  prediction_clicked: boolean;
  fcr_resolved: boolean;
}

export interface DeadLetter {
  event_id: string;
  reason: string;
}

export interface ReferenceInput {
  events: { topic: Topic; event: AnyEvent; arrival: number }[];
  timeZone: string;
  allowedLatenessMs: number;
  fcrWindowMs: number;
  retentionWindowMs: number;
  partitionOf: (topic: Topic, key: string) => number;
  /** L1–L9: the live figures at the end of the input (no window closed by the wall clock). */
  live?: boolean;
}

/** How a contact's FCR is decided (L5): 'repeat' = not resolved, 'window' = resolved. */
export type FcrDecision = 'repeat' | 'window' | 'undecided';
/** How a CONTACTED is decided (L7). */
export type OutreachDecision = 'outcome' | 'window' | 'undecided';

export interface Decisions {
  contacts: { session_id: string; counted: boolean; fcr: FcrDecision }[];
  outreach: { event_id: string; user_id: string; contacted_at: number; decided_by: OutreachDecision; retained: boolean }[];
}

export interface StreamTime {
  topic: Topic;
  partition: number;
  /** S_p: the largest event_time that passed the lateness check on the partition (I3). */
  streamTime: number;
}

export interface ReferenceOutput {
  rows: MetricRow[];
  contacts: ContactRow[];
  deadLetters: DeadLetter[];
  decisions: Decisions;
  streamTimes: StreamTime[];
}

export const INACTIVITY_MS = 30 * 60_000;
export const AGENT_SESSION_CAP_MS = 12 * 3_600_000;

/** Metric ids this calculator produces (a test checks it equals the catalog). */
export const REFERENCE_METRIC_IDS: readonly MetricId[] = [
  'contacts',
  'self_service_share',
  'self_service_transfer_rate',
  'fcr_rate',
  'self_service_resolution_rate',
  'online_aht_seconds',
  'voicebot_recognition_coverage',
  'voicebot_confirmation_rate',
  'voicebot_avg_turns',
  'prediction_hit_rate',
  'human_answer_rate',
  'service_level_20s',
  'abandon_rate',
  'human_aht_seconds',
  'satisfaction_top_box',
  'self_service_satisfaction',
  'complaints_per_10k',
  'upheld_complaints_per_10k',
  'outreach_retention_rate',
  'qa_avg_score',
  'qa_pass_rate',
  'staffed_hours',
  'headcount',
];

/** Numerators accumulated in ms and converted once at output. */
const NUMERATOR_DIVISOR: Partial<Record<MetricId, number>> = {
  online_aht_seconds: 1000,
  human_aht_seconds: 1000,
  staffed_hours: 3_600_000,
};

// ---------------------------------------------------------------------------------------------
// Local-calendar buckets (B1): Intl.DateTimeFormat parts, then binary search for the run start.

interface LocalFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** local wall time − UTC, in ms (whole seconds). */
  offsetMs: number;
}

const MAX_SPAN: Record<Grain, number> = {
  minute: 60_000,
  hour: 3_600_000,
  day: 48 * 3_600_000, // a local date lasts ≤ 26 h; 48 h is a safe search window
};

export class LocalCalendar {
  private readonly fmt: Intl.DateTimeFormat;
  private readonly startCache = new Map<string, number>();
  private readonly endCache = new Map<string, number>();

  constructor(readonly timeZone: string) {
    this.fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  fields(t: number): LocalFields {
    const got: Record<string, number> = {};
    for (const p of this.fmt.formatToParts(new Date(t))) {
      if (p.type !== 'literal') got[p.type] = Number(p.value);
    }
    const need = (k: string): number => {
      const v = got[k];
      if (v === undefined || !Number.isFinite(v)) throw new Error(`Intl gave no ${k} for ${t} in ${this.timeZone}`);
      return v;
    };
    const year = need('year');
    const month = need('month');
    const day = need('day');
    const hour = need('hour');
    const minute = need('minute');
    const second = need('second');
    const wall = Date.UTC(year, month - 1, day, hour, minute, second);
    const offsetMs = wall - Math.floor(t / 1000) * 1000;
    return { year, month, day, hour, minute, second, offsetMs };
  }

  key(t: number, grain: Grain): string {
    const f = this.fields(t);
    const date = `${f.year}-${f.month}-${f.day}`;
    if (grain === 'day') return date;
    if (grain === 'hour') return `${date}T${f.hour}@${f.offsetMs}`;
    return `${date}T${f.hour}:${f.minute}@${f.offsetMs}`;
  }

  /** Start (epoch ms) of the bucket containing t. */
  bucketStart(t: number, grain: Grain): number {
    const k = this.key(t, grain);
    const ck = `${grain}|${k}`;
    const cached = this.startCache.get(ck);
    if (cached !== undefined && cached <= t) return cached;
    // Invariant: key(lo) != k, key(hi) == k; the instants with key k form a contiguous run.
    let lo = t - MAX_SPAN[grain] - 1;
    let hi = t;
    if (this.key(lo, grain) === k) throw new Error(`bucket ${k} longer than ${MAX_SPAN[grain]} ms`);
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.key(mid, grain) === k) hi = mid;
      else lo = mid;
    }
    this.startCache.set(ck, hi);
    return hi;
  }

  /** Exclusive end (epoch ms) of the bucket containing t = start of the next bucket. */
  bucketEnd(t: number, grain: Grain): number {
    const k = this.key(t, grain);
    const ck = `${grain}|${k}`;
    const cached = this.endCache.get(ck);
    if (cached !== undefined && cached > t) return cached;
    // Invariant: key(lo) == k, key(hi) != k.
    let lo = t;
    let hi = t + MAX_SPAN[grain] + 1;
    if (this.key(hi, grain) === k) throw new Error(`bucket ${k} longer than ${MAX_SPAN[grain]} ms`);
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.key(mid, grain) === k) lo = mid;
      else hi = mid;
    }
    this.endCache.set(ck, hi);
    return hi;
  }
}

// ---------------------------------------------------------------------------------------------
// Accumulation

type Dims = { business_unit: string; product: string; channel: string };

class Accumulator {
  private readonly cells = new Map<string, { grain: Grain; bucket: number; metric: MetricId; dims: Dims; num: number; den: number }>();
  constructor(private readonly cal: LocalCalendar) {}

  /** Adds to the metric at the buckets (all grains) of instant t. */
  add(metric: MetricId, t: number, dims: Dims, num: number, den: number): void {
    for (const grain of REFERENCE_GRAINS) this.addAtBucket(grain, this.cal.bucketStart(t, grain), metric, dims, num, den);
  }

  addAtBucket(grain: Grain, bucket: number, metric: MetricId, dims: Dims, num: number, den: number): void {
    if (!REFERENCE_METRIC_IDS.includes(metric)) throw new Error(`unknown metric ${metric}`);
    const key = JSON.stringify([grain, bucket, metric, dims.business_unit, dims.product, dims.channel]);
    let cell = this.cells.get(key);
    if (!cell) {
      cell = { grain, bucket, metric, dims: { ...dims }, num: 0, den: 0 };
      this.cells.set(key, cell);
    }
    cell.num += num;
    cell.den += den;
  }

  rows(): MetricRow[] {
    const defs = new Map(METRICS.map((m) => [m.id, m]));
    const out: MetricRow[] = [];
    for (const c of this.cells.values()) {
      const def = defs.get(c.metric);
      if (!def) throw new Error(`metric ${c.metric} is not in the catalog`);
      const numerator = c.num / (NUMERATOR_DIVISOR[c.metric] ?? 1);
      if (def.kind === 'count') {
        out.push({ grain: c.grain, bucket: c.bucket, metric: c.metric, ...c.dims, numerator, denominator: 1, value: numerator });
      } else {
        const value = c.den === 0 ? null : (numerator / c.den) * def.scale;
        out.push({ grain: c.grain, bucket: c.bucket, metric: c.metric, ...c.dims, numerator, denominator: c.den, value });
      }
    }
    const grainOrder = (g: Grain) => REFERENCE_GRAINS.indexOf(g);
    out.sort(
      (a, b) =>
        grainOrder(a.grain) - grainOrder(b.grain) ||
        a.bucket - b.bucket ||
        cmp(a.metric, b.metric) ||
        cmp(a.business_unit, b.business_unit) ||
        cmp(a.product, b.product) ||
        cmp(a.channel, b.channel),
    );
    return out;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Appends `item` to the list under `key`. */
function pushTo<K, V>(map: Map<K, V[]>, key: K, item: V): void {
  const list = map.get(key);
  if (list) list.push(item);
  else map.set(key, [item]);
}

// ---------------------------------------------------------------------------------------------
// Intake

interface Arrived<E> {
  event: E;
  arrival: number;
}

function keyOf(topic: Topic, e: AnyEvent): string {
  switch (topic) {
    case 'cs.sessions':
    case 'cs.calls':
    case 'cs.surveys':
    case 'cs.outreach':
      return (e as SessionEvent | CallEvent | SurveyEvent | OutreachEvent).user_id;
    case 'cs.complaints':
      return (e as ComplaintEvent).complaint_id;
    case 'cs.agents':
      return (e as AgentEvent).agent_id;
    case 'cs.qa':
      return (e as QaEvent).review_id;
  }
}

interface SessionState {
  started: Arrived<SessionEvent> | undefined;
  pool: Arrived<SessionEvent>[];
}

interface Walk {
  before: Arrived<SessionEvent>[];
  members: Arrived<SessionEvent>[];
  after: Arrived<SessionEvent>[];
  end: number;
  endedBy: 'ENDED' | 'inactivity';
  /** ENDED time, or last member + 30 min. */
  windowEnd: number;
}

function sortSessionEvents(pool: Arrived<SessionEvent>[]): Arrived<SessionEvent>[] {
  return [...pool].sort(
    (a, b) =>
      a.event.event_time - b.event.event_time ||
      (a.event.type === 'STARTED' ? 0 : 1) - (b.event.type === 'STARTED' ? 0 : 1) ||
      cmp(a.event.event_id, b.event.event_id),
  );
}

/** C4: the contact from STARTED over the given accepted session events. */
function walkContact(started: Arrived<SessionEvent>, pool: Arrived<SessionEvent>[]): Walk {
  const sorted = sortSessionEvents(pool);
  const idx = sorted.indexOf(started);
  if (idx < 0) throw new Error('STARTED not in its pool');
  const before = sorted.slice(0, idx);
  const members: Arrived<SessionEvent>[] = [started];
  const after: Arrived<SessionEvent>[] = [];
  let last = started.event.event_time;
  let endedAt: number | undefined;
  let stopped = false;
  for (const a of sorted.slice(idx + 1)) {
    const t = a.event.event_time;
    if (stopped) {
      after.push(a);
    } else if (endedAt !== undefined) {
      if (t === endedAt) members.push(a);
      else {
        stopped = true;
        after.push(a);
      }
    } else if (t - last > INACTIVITY_MS) {
      stopped = true;
      after.push(a);
    } else {
      members.push(a);
      last = t;
      if (a.event.type === 'ENDED') endedAt = t;
    }
  }
  if (endedAt !== undefined) return { before, members, after, end: endedAt, endedBy: 'ENDED', windowEnd: endedAt };
  return { before, members, after, end: last, endedBy: 'inactivity', windowEnd: last + INACTIVITY_MS };
}

// ---------------------------------------------------------------------------------------------
// The calculator

export function referenceMetrics(input: ReferenceInput): ReferenceOutput {
  const { timeZone, allowedLatenessMs: L, fcrWindowMs, retentionWindowMs, partitionOf } = input;
  const live = input.live === true;
  const cal = new LocalCalendar(timeZone);
  const acc = new Accumulator(cal);
  const dead: { event_id: string; reason: string; arrival: number }[] = [];
  const deadLetter = (e: AnyEvent, arrival: number, reason: string) => dead.push({ event_id: e.event_id, reason, arrival });

  const acceptedIds = new Map<Topic, Set<string>>();
  const streamTime = new Map<string, number>();

  const sessions = new Map<string, SessionState>();
  const calls = new Map<string, Arrived<CallEvent>[]>();
  const surveys: Arrived<SurveyEvent>[] = [];
  const complaints = new Map<string, Arrived<ComplaintEvent>[]>();
  const outreach: Arrived<OutreachEvent>[] = [];
  const agents = new Map<string, Arrived<AgentEvent>[]>();
  const reviews: Arrived<QaEvent>[] = [];

  const ordered = [...input.events].sort((a, b) => a.arrival - b.arrival);

  for (const { topic, event, arrival } of ordered) {
    // I2: dedup first.
    let ids = acceptedIds.get(topic);
    if (!ids) acceptedIds.set(topic, (ids = new Set()));
    if (ids.has(event.event_id)) continue;

    // I3: stream lateness against the partition's stream time before this event.
    const partition = partitionOf(topic, keyOf(topic, event));
    const stKey = `${topic}#${partition}`;
    const before = streamTime.get(stKey);
    if (before !== undefined && event.event_time < before - L) {
      deadLetter(event, arrival, 'late');
      continue;
    }
    // I4: advance, then check windows.
    const st = before === undefined ? event.event_time : Math.max(before, event.event_time);
    streamTime.set(stKey, st);

    switch (topic) {
      case 'cs.sessions': {
        const e = event as SessionEvent;
        let s = sessions.get(e.session_id);
        if (!s) sessions.set(e.session_id, (s = { started: undefined, pool: [] }));
        if (s.started) {
          const w = walkContact(s.started, s.pool);
          if (w.windowEnd < st - L) {
            deadLetter(e, arrival, 'late'); // C3
            continue;
          }
          if (e.type === 'STARTED') {
            deadLetter(e, arrival, 'invalid'); // C2
            continue;
          }
        }
        const a = { event: e, arrival };
        if (e.type === 'STARTED') s.started = a;
        s.pool.push(a);
        break;
      }
      case 'cs.calls': {
        const e = event as CallEvent;
        pushTo(calls, e.call_id, { event: e, arrival });
        break;
      }
      case 'cs.surveys':
        surveys.push({ event: event as SurveyEvent, arrival });
        break;
      case 'cs.complaints': {
        const e = event as ComplaintEvent;
        pushTo(complaints, e.complaint_id, { event: e, arrival });
        break;
      }
      case 'cs.outreach':
        outreach.push({ event: event as OutreachEvent, arrival });
        break;
      case 'cs.agents': {
        const e = event as AgentEvent;
        pushTo(agents, e.agent_id, { event: e, arrival });
        break;
      }
      case 'cs.qa':
        reviews.push({ event: event as QaEvent, arrival });
        break;
    }
    ids.add(event.event_id);
  }

  // L1: stream time at the end of the input; windows have closed up to the horizon S_p − L
  // (live), or all of them (final: the wall clock is after everything).
  const streamTimeOf = (topic: Topic, key: string): number => {
    const t = streamTime.get(`${topic}#${partitionOf(topic, key)}`);
    if (t === undefined) throw new Error(`no stream time for ${topic} key ${key}`);
    return t;
  };
  const horizonOf = (topic: Topic, key: string): number => (live ? streamTimeOf(topic, key) - L : Number.POSITIVE_INFINITY);
  // L2: the end-of-input verdicts are given in final mode only.
  const finalDeadLetter = (e: AnyEvent, arrival: number, reason: string) => {
    if (!live) deadLetter(e, arrival, reason);
  };

  // ---- Contacts ------------------------------------------------------------------------------
  const contacts: ContactRow[] = [];
  const counted = new Set<string>(); // L4
  for (const [sessionId, s] of sessions) {
    if (!s.started) {
      for (const a of s.pool) finalDeadLetter(a.event, a.arrival, 'orphan');
      continue;
    }
    const w = walkContact(s.started, s.pool);
    for (const a of w.before) finalDeadLetter(a.event, a.arrival, 'orphan');
    for (const a of w.after) finalDeadLetter(a.event, a.arrival, 'late');
    const st = s.started.event;
    if (w.endedBy === 'ENDED' || w.windowEnd < horizonOf('cs.sessions', st.user_id)) counted.add(sessionId);
    const count = (type: SessionEvent['type']) => w.members.filter((a) => a.event.type === type).length;
    const selfServiceEntry = st.entry === 'SELF_SERVICE';
    const transferred = count('TRANSFERRED_TO_AGENT') > 0;
    contacts.push({
      session_id: sessionId,
      user_id: st.user_id,
      business_unit: st.business_unit,
      product: st.product,
      channel: st.channel,
      entry: st.entry,
      start: st.event_time,
      end: w.end,
      ended_by: w.endedBy,
      self_service_entry: selfServiceEntry,
      transferred,
      self_service: selfServiceEntry && !transferred,
      online: st.channel !== 'HOTLINE',
      bot_turns: count('BOT_TURN'),
      questions_recognized: count('QUESTION_RECOGNIZED'),
      questions_confirmed: count('QUESTION_CONFIRMED'),
      prediction_shown: count('PREDICTION_SHOWN') > 0,
      prediction_clicked: count('PREDICTION_CLICKED') > 0,
      fcr_resolved: false, // below
    });
  }
  // C7 / L5: FCR over the contact set (every accepted STARTED).
  const byUserProduct = new Map<string, ContactRow[]>();
  for (const c of contacts) pushTo(byUserProduct, JSON.stringify([c.user_id, c.product]), c);
  const fcrDecision = new Map<string, FcrDecision>();
  for (const c of contacts) {
    const sameUserProduct = byUserProduct.get(JSON.stringify([c.user_id, c.product]))!;
    const repeat = sameUserProduct.some((d) => d.session_id !== c.session_id && d.start > c.start && d.start <= c.end + fcrWindowMs);
    const decision: FcrDecision = !counted.has(c.session_id)
      ? 'undecided'
      : repeat
        ? 'repeat'
        : c.end + fcrWindowMs < horizonOf('cs.sessions', c.user_id)
          ? 'window'
          : 'undecided';
    fcrDecision.set(c.session_id, decision);
    c.fcr_resolved = decision === 'window';
  }
  contacts.sort((a, b) => a.start - b.start || cmp(a.session_id, b.session_id));

  for (const c of contacts) {
    const dims: Dims = { business_unit: c.business_unit, product: c.product, channel: c.channel };
    const add = (metric: MetricId, num: number | boolean, den: number) => acc.add(metric, c.start, dims, Number(num), den);
    add('contacts', 1, 0);
    add('complaints_per_10k', 0, 1);
    add('upheld_complaints_per_10k', 0, 1);
    if (!counted.has(c.session_id)) continue; // L4: not ended yet
    add('self_service_share', c.self_service, 1);
    if (c.self_service_entry) add('self_service_transfer_rate', c.transferred, 1);
    if (fcrDecision.get(c.session_id) !== 'undecided') {
      add('fcr_rate', c.fcr_resolved, 1);
      if (c.self_service) add('self_service_resolution_rate', c.fcr_resolved, 1);
    }
    if (c.online) add('online_aht_seconds', c.end - c.start, 1);
    if (c.channel === 'HOTLINE' && c.self_service_entry) {
      const recognized = c.questions_recognized > 0;
      add('voicebot_recognition_coverage', recognized, 1);
      if (recognized) add('voicebot_confirmation_rate', c.questions_confirmed > 0, 1);
      add('voicebot_avg_turns', c.bot_turns, 1);
    }
    if (c.prediction_shown) add('prediction_hit_rate', c.prediction_clicked, 1);
  }

  // ---- Calls ---------------------------------------------------------------------------------
  for (const list of calls.values()) {
    const byArrival = [...list].sort((a, b) => a.arrival - b.arrival);
    const first = (type: CallEvent['type']) => byArrival.find((a) => a.event.type === type)?.event;
    const offered = first('OFFERED');
    if (!offered) {
      for (const a of byArrival) finalDeadLetter(a.event, a.arrival, 'orphan');
      continue;
    }
    const answered = first('ANSWERED');
    const abandoned = first('ABANDONED');
    const ended = first('ENDED');
    const dims: Dims = { business_unit: offered.business_unit, product: offered.product, channel: 'HOTLINE' };
    const t = offered.event_time;
    acc.add('human_answer_rate', t, dims, answered ? 1 : 0, 1);
    acc.add('service_level_20s', t, dims, answered && answered.wait_ms !== null && answered.wait_ms <= 20_000 ? 1 : 0, 1);
    acc.add('abandon_rate', t, dims, abandoned ? 1 : 0, 1);
    if (answered && ended) {
      acc.add('human_aht_seconds', t, dims, (ended.talk_ms ?? 0) + (ended.hold_ms ?? 0) + (ended.acw_ms ?? 0), 1);
    }
  }

  // ---- Surveys -------------------------------------------------------------------------------
  for (const { event: e } of surveys) {
    if (!e.valid) continue;
    const dims: Dims = { business_unit: e.business_unit, product: e.product, channel: e.channel };
    const top = e.score === 5 ? 1 : 0;
    acc.add('satisfaction_top_box', e.event_time, dims, top, 1);
    if (e.handled_by === 'SELF_SERVICE') acc.add('self_service_satisfaction', e.event_time, dims, top, 1);
  }

  // ---- Complaints ----------------------------------------------------------------------------
  for (const list of complaints.values()) {
    const byArrival = [...list].sort((a, b) => a.arrival - b.arrival);
    const filed = byArrival.find((a) => a.event.type === 'FILED')?.event;
    if (!filed) {
      for (const a of byArrival) finalDeadLetter(a.event, a.arrival, 'orphan');
      continue;
    }
    const dims: Dims = { business_unit: filed.business_unit, product: filed.product, channel: filed.channel };
    acc.add('complaints_per_10k', filed.event_time, dims, 1, 0);
    const upheld = byArrival.some((a) => a.event.type === 'UPHELD');
    acc.add('upheld_complaints_per_10k', filed.event_time, dims, upheld ? 1 : 0, 0);
  }

  // ---- Outreach ------------------------------------------------------------------------------
  const outcomesByUser = new Map<string, OutreachEvent[]>();
  for (const { event: e } of outreach) if (e.type !== 'CONTACTED') pushTo(outcomesByUser, e.user_id, e);
  for (const list of outcomesByUser.values()) list.sort((a, b) => a.event_time - b.event_time || cmp(a.event_id, b.event_id));
  const outreachDecisions: Decisions['outreach'] = [];
  for (const { event: c } of outreach) {
    if (c.type !== 'CONTACTED') continue;
    const outcome = (outcomesByUser.get(c.user_id) ?? []).find(
      (o) => o.event_time >= c.event_time && o.event_time <= c.event_time + retentionWindowMs,
    );
    // L7: decided by its first outcome, or by the window's end without one.
    const decidedBy: OutreachDecision = outcome ? 'outcome' : c.event_time + retentionWindowMs < horizonOf('cs.outreach', c.user_id) ? 'window' : 'undecided';
    const retained = outcome?.type === 'RETAINED';
    outreachDecisions.push({ event_id: c.event_id, user_id: c.user_id, contacted_at: c.event_time, decided_by: decidedBy, retained });
    if (decidedBy === 'undecided') continue;
    const dims: Dims = { business_unit: c.business_unit, product: c.product, channel: c.channel };
    acc.add('outreach_retention_rate', c.event_time, dims, retained ? 1 : 0, 1);
  }

  // ---- QA ------------------------------------------------------------------------------------
  for (const { event: e } of reviews) {
    const dims: Dims = { business_unit: e.business_unit, product: e.product, channel: e.channel };
    acc.add('qa_avg_score', e.event_time, dims, e.score, 1);
    acc.add('qa_pass_rate', e.event_time, dims, e.passed ? 1 : 0, 1);
  }

  // ---- Agents --------------------------------------------------------------------------------
  interface Shift {
    agent_id: string;
    business_unit: string;
    site_type: string;
    from: number;
    to: number;
  }
  const shifts: Shift[] = [];
  for (const [agentId, list] of agents) {
    const sorted = [...list].sort(
      (a, b) =>
        a.event.event_time - b.event.event_time ||
        (a.event.type === 'LOGGED_OUT' ? 0 : 1) - (b.event.type === 'LOGGED_OUT' ? 0 : 1) ||
        cmp(a.event.event_id, b.event.event_id),
    );
    let open: AgentEvent | undefined;
    // L8: a shift without a next event within the cap accrues up to the stream-time minute.
    const accruedEnd = (login: AgentEvent) => {
      const cap = login.event_time + AGENT_SESSION_CAP_MS;
      if (!live) return cap;
      return Math.min(cap, Math.max(login.event_time, cal.bucketStart(streamTimeOf('cs.agents', agentId), 'minute')));
    };
    const close = (at: number) => {
      if (!open) return;
      const to = at <= open.event_time + AGENT_SESSION_CAP_MS ? at : accruedEnd(open);
      shifts.push({ agent_id: agentId, business_unit: open.business_unit, site_type: open.site_type, from: open.event_time, to });
      open = undefined;
    };
    for (const a of sorted) {
      if (a.event.type === 'LOGGED_IN') {
        close(a.event.event_time);
        open = a.event;
      } else if (open) {
        close(a.event.event_time);
      } else {
        finalDeadLetter(a.event, a.arrival, 'orphan');
      }
    }
    close(Number.POSITIVE_INFINITY);
  }
  const headcount = new Map<string, { grain: Grain; bucket: number; dims: Dims; agents: Set<string> }>();
  for (const sh of shifts) {
    const dims: Dims = { business_unit: sh.business_unit, product: sh.site_type, channel: '' };
    for (const grain of REFERENCE_GRAINS) {
      let cur = sh.from;
      while (cur < sh.to) {
        const bucket = cal.bucketStart(cur, grain);
        const next = Math.min(cal.bucketEnd(cur, grain), sh.to);
        acc.addAtBucket(grain, bucket, 'staffed_hours', dims, next - cur, 0);
        const hk = JSON.stringify([grain, bucket, dims.business_unit, dims.product]);
        let h = headcount.get(hk);
        if (!h) headcount.set(hk, (h = { grain, bucket, dims, agents: new Set() }));
        h.agents.add(sh.agent_id);
        cur = next;
      }
    }
  }
  for (const h of headcount.values()) acc.addAtBucket(h.grain, h.bucket, 'headcount', h.dims, h.agents.size, 0);

  dead.sort((a, b) => a.arrival - b.arrival);
  const streamTimes: StreamTime[] = [...streamTime].map(([key, t]) => {
    const [topic, partition] = key.split('#');
    return { topic: topic as Topic, partition: Number(partition), streamTime: t };
  });
  streamTimes.sort((a, b) => cmp(a.topic, b.topic) || a.partition - b.partition);
  return {
    rows: acc.rows(),
    contacts,
    deadLetters: dead.map(({ event_id, reason }) => ({ event_id, reason })),
    decisions: {
      contacts: contacts.map((c) => ({ session_id: c.session_id, counted: counted.has(c.session_id), fcr: fcrDecision.get(c.session_id)! })),
      outreach: outreachDecisions,
    },
    streamTimes,
  };
}
