/**
 * Deterministic, seeded generator of realistic customer-service traffic for all seven topics.
 *
 * How it works: a discrete-event simulation over a time-ordered priority queue. Contact
 * arrivals are a non-homogeneous Poisson process (thinning) following the diurnal and weekly
 * curves in local time of `timeZone`; when a contact arrives its whole life is drawn at once
 * (session steps, the call, the survey, a complaint, a return contact, a QA review) and each
 * step is pushed into the queue at its own time. Agent shifts are planned one local day ahead,
 * CRM outreach is its own arrival process. Events are yielded in non-decreasing event_time.
 * Memory holds only what is pending (contacts in flight, outcomes due days later), never a day.
 *
 * The window is [start, end): nothing is emitted before `start` (agents already on shift at
 * `start` log in at `start`), and everything due at or after `end` is cut. Since each entity's
 * steps are drawn in time order, a cut entity always shows a consistent prefix of its life:
 * e.g. a session STARTED before `end` may lack its ENDED (which the pipeline then closes by
 * the 30-minute inactivity rule), a call may be OFFERED without its ANSWERED, a complaint
 * FILED without its outcome — never an ENDED without its STARTED.
 */
import type {
  AgentEvent,
  CallEvent,
  ComplaintEvent,
  Entry,
  EventByTopic,
  OutreachEvent,
  QaEvent,
  SessionEvent,
  SessionType,
  SiteType,
  SurveyEvent,
  Topic,
} from '@cs/schemas';
import type { TopicEvent } from '@cs/producer';
import { defaultCalendar, type Surge, type VolumeEvent } from './calendar.ts';
import { TimeHeap } from './heap.ts';
import { DIURNAL_MAX, WEEKLY_MAX, diurnal, weekly } from './profile.ts';
import { Rng, cumulative } from './rng.ts';
import {
  CAMPAIGNS,
  COMPLAINT_CATEGORIES,
  COMPLAINT_CATEGORY_CUMULATIVE,
  INTENTS,
  INTENT_CUMULATIVE,
  buildWorld,
  type World,
} from './world.ts';
import { VolumeModel } from './volume.ts';
import { DAY, HOUR, ZoneClock } from './zone.ts';

/** One event with its topic: the SDK's discriminated union. */
export type { TopicEvent };

export type Channel = 'APP' | 'WEB' | 'HOTLINE';
export const CHANNELS: readonly Channel[] = ['APP', 'WEB', 'HOTLINE'];

/** Behaviour probabilities; every one has a default (see DEFAULT_PROBABILITIES). */
export interface SimProbabilities {
  /** Share of contacts per channel (normalised). */
  channelMix: Record<Channel, number>;
  /** P(entry = HUMAN) per channel: live chat / direct-to-agent dialling. */
  humanEntry: Record<Channel, number>;
  /** P(TRANSFERRED_TO_AGENT) of a self-service-entry contact, per channel. */
  transfer: Record<Channel, number>;
  /** P(intent on STARTED) (from a menu choice or a deep link). */
  intentOnStart: number;
  /** P(PREDICTION_SHOWN) for online self-service contacts, per online channel. */
  predictionShown: { APP: number; WEB: number };
  /** P(PREDICTION_CLICKED | shown). */
  predictionClicked: number;
  /** P(≥1 QUESTION_RECOGNIZED) for voice-bot (HOTLINE) and chat-bot (online) contacts. */
  recognizedHotline: number;
  recognizedOnline: number;
  /** P(QUESTION_CONFIRMED | recognized). */
  confirmed: number;
  /** P(no ENDED): the session just goes quiet (closed by the 30-min inactivity rule). */
  noEnded: number;
  /** Mean P(ABANDONED) of an offered call at average load (rises with load). */
  abandon: number;
  /** Mean queue wait in seconds of an answered call at average load. */
  meanWaitSeconds: number;
  /** P(survey RESPONDED) after a contact. */
  survey: number;
  /** P(survey response valid). */
  surveyValid: number;
  /** Complaints FILED per 10k contacts (approximate mean). */
  complaintsPer10k: number;
  /** P(UPHELD | filed) and P(REJECTED | filed); the rest stays open. */
  complaintUpheld: number;
  complaintRejected: number;
  /** P(external | filed): raised with a regulator. */
  complaintExternal: number;
  /** P(contact_id set | filed). */
  complaintWithContact: number;
  /** Outreach CONTACTED per contact (i.e. outreach volume relative to contact volume). */
  outreachPerContact: number;
  /** P(RETAINED | contacted), P(CHURNED | contacted); the rest never gets an outcome. */
  retained: number;
  churned: number;
  /** P(an outcome lands after the 30-day retention window). */
  outcomeLate: number;
  /** P(QA REVIEWED | answered call). */
  qaReview: number;
  /** Base P(the same user comes back for the same product) — scaled by how the contact went. */
  repeatContact: number;
}

export const DEFAULT_PROBABILITIES: SimProbabilities = {
  channelMix: { APP: 0.45, WEB: 0.25, HOTLINE: 0.3 },
  humanEntry: { APP: 0.025, WEB: 0.035, HOTLINE: 0.08 },
  transfer: { APP: 0.04, WEB: 0.045, HOTLINE: 0.1 },
  intentOnStart: 0.35,
  predictionShown: { APP: 0.55, WEB: 0.4 },
  predictionClicked: 0.4,
  recognizedHotline: 0.9,
  recognizedOnline: 0.85,
  confirmed: 0.7,
  noEnded: 0.05,
  abandon: 0.012,
  meanWaitSeconds: 8,
  survey: 0.1,
  surveyValid: 0.97,
  complaintsPer10k: 5,
  complaintUpheld: 0.3,
  complaintRejected: 0.55,
  complaintExternal: 0.08,
  complaintWithContact: 0.8,
  outreachPerContact: 0.015,
  retained: 0.65,
  churned: 0.25,
  outcomeLate: 0.08,
  qaReview: 0.02,
  repeatContact: 0.13,
};

export interface SimOptions {
  seed: number;
  /** Window start, epoch ms (inclusive). */
  start: number;
  /** Window end, epoch ms (exclusive); Infinity for an endless (live) stream. */
  end: number;
  /** Mean contacts per day (the diurnal curve shapes them). Default 100 000. */
  contactsPerDay?: number;
  /** IANA zone whose local time drives the diurnal and weekly curves. Default UTC. */
  timeZone?: string;
  /** Number of products across the 7 business units. Default 60 (the real operation: 420). */
  products?: number;
  /**
   * Follow the diurnal/weekly curves, the calendar, the trend and surges (default true); false =
   * flat rate (live mode), which ignores all four.
   */
  diurnal?: boolean;
  /**
   * Days with a known volume factor (holidays, festivals, payday, campaigns). Default: the built-in
   * calendar (calendar.ts) for the years around the window; [] for none.
   */
  calendar?: readonly VolumeEvent[];
  /** Unannounced surges: time windows that multiply volume. Default none. */
  surges?: readonly Surge[];
  /** Compounding volume growth per week from `start` (0.005 = +0.5 %/week). Default 0. */
  trendPerWeek?: number;
  /** Size of the customer base ids are drawn from. Default 5 × contactsPerDay. */
  users?: number;
  /**
   * Prefix of generated ids (sessions s-<prefix>-<n>, calls c-…, events e-…). Default
   * `<seed>-<start minute, base 36>`, so runs of different windows never collide.
   */
  idPrefix?: string;
  probabilities?: Partial<SimProbabilities>;
  /** P(an event is emitted twice with the same event_id). Default 0. */
  duplicateRate?: number;
  /** Emit events out of order within this many ms of event time. Default 0 (ordered). */
  disorderMs?: number;
}

export interface SimStats {
  emitted: number;
  duplicates: number;
  contacts: number;
  calls: number;
  /** Items waiting in the priority queue now, and at most so far (the memory bound). */
  pending: number;
  maxPending: number;
  /** Answers that found no logged-in agent of the business unit (borrowed from another). */
  agentBorrowed: number;
  byTopic: Record<Topic, number>;
  /** event_time of the last event emitted. */
  lastEventTime: number;
}

export interface TrafficGenerator extends Iterable<TopicEvent> {
  stats(): SimStats;
  readonly options: Readonly<ResolvedOptions>;
}

export interface ResolvedOptions {
  seed: number;
  start: number;
  end: number;
  contactsPerDay: number;
  timeZone: string;
  products: number;
  diurnal: boolean;
  calendar: readonly VolumeEvent[];
  surges: readonly Surge[];
  trendPerWeek: number;
  users: number;
  idPrefix: string;
  probabilities: SimProbabilities;
  duplicateRate: number;
  disorderMs: number;
}

export function resolveOptions(opts: SimOptions): ResolvedOptions {
  if (!Number.isFinite(opts.seed)) throw new RangeError('seed must be a number');
  if (!Number.isFinite(opts.start)) throw new RangeError('start must be epoch milliseconds');
  if (!(opts.end >= opts.start)) throw new RangeError('end must be ≥ start');
  const contactsPerDay = opts.contactsPerDay ?? 100_000;
  if (!(contactsPerDay > 0)) throw new RangeError('contactsPerDay must be > 0');
  const trendPerWeek = opts.trendPerWeek ?? 0;
  if (!(trendPerWeek > -1 && trendPerWeek < 1)) throw new RangeError('trendPerWeek must be in (-1, 1)');
  const timeZone = opts.timeZone ?? 'UTC';
  const zone = new ZoneClock(timeZone);
  const p = opts.probabilities ?? {};
  const d = DEFAULT_PROBABILITIES;
  return {
    seed: opts.seed,
    start: Math.floor(opts.start),
    end: opts.end === Infinity ? Infinity : Math.floor(opts.end),
    contactsPerDay,
    timeZone,
    products: opts.products ?? 60,
    diurnal: opts.diurnal ?? true,
    calendar: opts.calendar ?? defaultCalendar(zone.localDate(opts.start).year, zone.localDate(Number.isFinite(opts.end) ? opts.end : opts.start).year),
    surges: opts.surges ?? [],
    trendPerWeek,
    users: Math.max(100, Math.floor(opts.users ?? contactsPerDay * 5)),
    idPrefix: opts.idPrefix ?? `${opts.seed}-${Math.floor(opts.start / 60_000).toString(36)}`,
    probabilities: {
      ...d,
      ...p,
      channelMix: { ...d.channelMix, ...p.channelMix },
      humanEntry: { ...d.humanEntry, ...p.humanEntry },
      transfer: { ...d.transfer, ...p.transfer },
      predictionShown: { ...d.predictionShown, ...p.predictionShown },
    },
    duplicateRate: opts.duplicateRate ?? 0,
    disorderMs: opts.disorderMs ?? 0,
  };
}

/** Yields the traffic of [start, end) in non-decreasing event_time (unless disorderMs > 0). */
export function generateTraffic(opts: SimOptions): Iterable<TopicEvent> {
  return createTrafficGenerator(opts);
}

/** Like generateTraffic, plus live statistics (emitted counts, queue size). Iterate once. */
export function createTrafficGenerator(opts: SimOptions): TrafficGenerator {
  const sim = new Simulation(resolveOptions(opts));
  return {
    options: sim.o,
    stats: () => sim.stats(),
    [Symbol.iterator]: () => sim.run(),
  };
}

// ---------------------------------------------------------------------------------------------

const SEC = 1000;
const MIN = 60 * SEC;
const SHIFT_MS = 8 * HOUR;
/** Share of agents at outsourced sites. */
const OUTSOURCED_SHARE = 0.4;
/** Agents are staffed for this occupancy. */
const OCCUPANCY = 0.78;

type Action = (t: number) => void;
type Item = TopicEvent | Action;

interface Agent {
  id: string;
  site: SiteType;
  bu: number;
  /** QA score offset of this agent. */
  skill: number;
}

interface Shift {
  agent: Agent;
  from: number;
  to: number;
}

/** Dimensions of a contact, carried by all its events. */
interface Contact {
  sid: string;
  user: string;
  buIdx: number;
  prodIdx: number;
  bu: string;
  product: string;
  channel: Channel;
}

/** Score cumulative tables for 1..5. */
const SCORES_RESOLVED = cumulative([0.02, 0.03, 0.07, 0.18, 0.7]);
const SCORES_HUMAN = cumulative([0.02, 0.03, 0.06, 0.15, 0.74]);
const SCORES_UNRESOLVED = cumulative([0.15, 0.12, 0.18, 0.2, 0.35]);

class Simulation {
  readonly o: ResolvedOptions;
  private readonly p: SimProbabilities;
  private readonly rng: Rng;
  private readonly planRng: Rng;
  private readonly noiseRng: Rng;
  private readonly zone: ZoneClock;
  private readonly world: World;
  /** Calendar, surges and trend; null in flat mode. */
  private readonly volume: VolumeModel | null;
  private readonly heap = new TimeHeap<Item>();
  private readonly channelCum: Float64Array;
  private readonly outreachChannelCum = cumulative([0.35, 0.15, 0.5]);

  /** Arrival intensities per ms, and the thinning bound of outreach (contacts are bounded per day). */
  private readonly contactRate: number;
  private readonly outreachRate: number;
  private readonly outreachRateMax: number;

  private readonly pools: Agent[][] = [];
  private readonly poolNext: number[] = [];
  private readonly shifts: Shift[][] = [];
  /** Agents needed per weekday, business unit and local hour on a usual day (fractional). */
  private readonly usualDemand: number[][][] = [];
  private nextPlanDay = 0;

  private n = { event: 0, session: 0, call: 0, survey: 0, complaint: 0, outreach: 0, review: 0 };
  private s: SimStats;

  constructor(o: ResolvedOptions) {
    this.o = o;
    this.p = o.probabilities;
    this.rng = new Rng(o.seed);
    this.planRng = new Rng(o.seed ^ 0x2545f491);
    this.noiseRng = new Rng(o.seed ^ 0x6a09e667);
    this.zone = new ZoneClock(o.timeZone);
    this.world = buildWorld(o.products);
    const mix = this.p.channelMix;
    this.channelCum = cumulative([mix.APP, mix.WEB, mix.HOTLINE]);
    const mixSum = mix.APP + mix.WEB + mix.HOTLINE;
    this.volume = o.diurnal
      ? new VolumeModel({
          world: this.world,
          channels: CHANNELS,
          channelShares: CHANNELS.map((c) => mix[c] / mixSum),
          zone: this.zone,
          calendar: o.calendar,
          surges: o.surges,
          trendPerWeek: o.trendPerWeek,
          anchor: o.start,
        })
      : null;

    // Return contacts add to the fresh arrivals; fresh = total × (1 − repeat share).
    const fresh = o.contactsPerDay * (1 - this.p.repeatContact * REPEAT_SHARE_PER_P);
    this.contactRate = fresh / DAY;
    this.outreachRate = (o.contactsPerDay * this.p.outreachPerContact) / DAY;
    this.outreachRateMax = this.outreachRate * (o.diurnal ? 24 / OUTREACH_HOURS : 1);

    this.s = {
      emitted: 0,
      duplicates: 0,
      contacts: 0,
      calls: 0,
      pending: 0,
      maxPending: 0,
      agentBorrowed: 0,
      byTopic: { 'cs.sessions': 0, 'cs.calls': 0, 'cs.surveys': 0, 'cs.complaints': 0, 'cs.outreach': 0, 'cs.agents': 0, 'cs.qa': 0 },
      lastEventTime: o.start,
    };

    this.buildWorkforce();
    this.initPlanning();
    this.scheduleArrival(o.start);
    this.scheduleOutreach(o.start);
  }

  stats(): SimStats {
    return { ...this.s, byTopic: { ...this.s.byTopic }, pending: this.heap.size, maxPending: this.heap.maxSize };
  }

  // ---- main loop -------------------------------------------------------------------------------

  *run(): Generator<TopicEvent, void, undefined> {
    const heap = this.heap;
    const s = this.s;
    const end = this.o.end;
    const noisy = this.o.duplicateRate > 0 || this.o.disorderMs > 0;
    const buffer = noisy ? new TimeHeap<TopicEvent>() : null;
    while (heap.size > 0) {
      const t = heap.peekTime();
      if (t >= end) break;
      const item = heap.pop();
      if (typeof item === 'function') {
        item(t);
        continue;
      }
      s.emitted++;
      s.byTopic[item.topic]++;
      s.lastEventTime = t;
      if (buffer === null) {
        yield item;
        continue;
      }
      // Noise stage: release what is due, then hold this event (and maybe a copy) for a jitter.
      while (buffer.size > 0 && buffer.peekTime() <= t) yield buffer.pop();
      const jitter = this.o.disorderMs;
      buffer.push(t + (jitter > 0 ? Math.floor(this.noiseRng.next() * jitter) : 0), item);
      if (this.o.duplicateRate > 0 && this.noiseRng.chance(this.o.duplicateRate)) {
        s.duplicates++;
        const copy = { topic: item.topic, event: { ...item.event } } as TopicEvent;
        buffer.push(t + (jitter > 0 ? Math.floor(this.noiseRng.next() * jitter) : 0), copy);
      }
    }
    if (buffer !== null) while (buffer.size > 0) yield buffer.pop();
  }

  private push(t: number, item: Item): void {
    if (t < this.o.end) this.heap.push(t, item);
  }

  private eventId(): string {
    return `e-${this.o.idPrefix}-${++this.n.event}`;
  }

  // ---- load curves -----------------------------------------------------------------------------

  /** Relative contact load at t (mean 1 on a usual day): curves × calendar and surges × trend. */
  private load(t: number): number {
    if (this.volume === null) return 1;
    return diurnal(this.zone.hourOfDay(t)) * weekly(this.zone.weekday(t)) * this.volume.at(t).total * this.volume.growth(t);
  }

  /**
   * The next arrival after `from` of a Poisson process with intensity rate × load(t), by thinning
   * a process of intensity bound(t).max (≥ rate × load on [t, bound(t).until)); null once past the
   * window end. Past `until` the thinning restarts there with the next bound (the exponential gaps
   * are memoryless, so the process is the same).
   */
  private nextArrival(from: number, rate: number, bound: (t: number) => { max: number; until: number }, load: (t: number) => number): number | null {
    const rng = this.rng;
    let t = from;
    let b = bound(t);
    for (;;) {
      t += rng.exp(1 / b.max);
      if (t >= b.until && b.until < this.o.end) {
        t = b.until;
        b = bound(t);
        continue;
      }
      if (t >= this.o.end) return null;
      if (rng.next() * b.max < rate * load(t)) return Math.floor(t);
    }
  }

  /** Thinning bound of contact arrivals over the rest of t's local day. */
  private readonly contactBound = (t: number): { max: number; until: number } => {
    if (this.volume === null) return { max: this.contactRate, until: Infinity };
    return { max: this.contactRate * DIURNAL_MAX * WEEKLY_MAX * this.volume.boundOnDay(t), until: this.volume.dayEnd(t) };
  };

  private scheduleArrival(from: number): void {
    const t = this.nextArrival(from, this.contactRate, this.contactBound, (at) => this.load(at));
    if (t !== null) this.push(t, this.onArrival);
  }

  private readonly onArrival: Action = (t) => {
    this.newContact(t, null);
    this.scheduleArrival(t);
  };

  private outreachLoad(t: number): number {
    if (!this.o.diurnal) return 1;
    const h = this.zone.hourOfDay(t);
    if (h < OUTREACH_FROM || h >= OUTREACH_FROM + OUTREACH_HOURS) return 0;
    return (24 / OUTREACH_HOURS) * (this.zone.weekday(t) === 0 ? 0.4 : 1);
  }

  private scheduleOutreach(from: number): void {
    if (!(this.outreachRate > 0)) return;
    const t = this.nextArrival(from, this.outreachRate, () => ({ max: this.outreachRateMax, until: Infinity }), (at) => this.outreachLoad(at));
    if (t !== null) this.push(t, this.onOutreach);
  }

  private readonly onOutreach: Action = (t) => {
    this.newOutreach(t);
    this.scheduleOutreach(t);
  };

  // ---- contacts --------------------------------------------------------------------------------

  private pickIntent(): string {
    return INTENTS[this.rng.weighted(INTENT_CUMULATIVE)]!;
  }

  private newContact(t0: number, prev: Contact | null): void {
    const rng = this.rng;
    const p = this.p;
    const w = this.world;
    this.s.contacts++;

    // A fresh contact's business unit and channel follow the calendar and surges of the moment.
    const mix = prev || this.volume === null ? null : this.volume.at(t0);
    const buIdx = prev ? prev.buIdx : rng.weighted(mix?.buCumulative ?? w.buCumulative);
    const prodIdx = prev ? prev.prodIdx : rng.weighted(w.productCumulative[buIdx]!);
    let channel: Channel;
    if (prev) channel = rng.chance(0.4) ? 'HOTLINE' : prev.channel; // people escalate to the phone
    else channel = CHANNELS[rng.weighted(mix?.channelCumulative?.[buIdx] ?? this.channelCum)]!;
    const c: Contact = {
      sid: `s-${this.o.idPrefix}-${++this.n.session}`,
      user: prev ? prev.user : `u-${rng.int(this.o.users) + 1}`,
      buIdx,
      prodIdx,
      bu: w.businessUnits[buIdx]!,
      product: w.products[buIdx]![prodIdx]!,
      channel,
    };
    const online = channel !== 'HOTLINE';
    const entry: Entry = rng.chance(p.humanEntry[channel] * (prev ? 1.8 : 1)) ? 'HUMAN' : 'SELF_SERVICE';
    const dropEnded = rng.chance(p.noEnded);
    const intent0 = rng.chance(p.intentOnStart) ? this.pickIntent() : null;

    let t = t0;
    let last = t0;
    const S = (at: number, type: SessionType, intent: string | null = null, agent: string | null = null): void => {
      last = at;
      const event: SessionEvent = {
        event_id: this.eventId(),
        event_time: at,
        business_unit: c.bu,
        product: c.product,
        type,
        session_id: c.sid,
        user_id: c.user,
        channel: c.channel,
        entry: type === 'STARTED' ? entry : null,
        intent,
        agent_id: agent,
      };
      this.push(at, { topic: 'cs.sessions', event });
    };
    S(t, 'STARTED', intent0);

    let recognized = false;
    let confirmed = false;
    let clicked = false;
    let transferred = false;
    let human = entry === 'HUMAN';
    let answeredCall: { agent: Agent; end: number } | null = null;
    let abandoned = false;
    let endAt: number | null = null;
    let chatAgent: string | null = null;

    if (entry === 'SELF_SERVICE') {
      const intent = intent0 !== null && rng.chance(0.8) ? intent0 : this.pickIntent();
      let turns: number;
      if (online) {
        t += ms(rng.uniform(0.5, 2.5) * SEC);
        if (rng.chance(channel === 'APP' ? p.predictionShown.APP : p.predictionShown.WEB)) {
          S(t, 'PREDICTION_SHOWN');
          if (rng.chance(p.predictionClicked)) {
            t += ms(rng.uniform(2, 10) * SEC);
            S(t, 'PREDICTION_CLICKED', intent);
            clicked = true;
          }
        }
        turns = clicked ? rng.poisson(0.6) : 1 + rng.poisson(1.5);
      } else {
        t += ms(rng.uniform(3, 8) * SEC); // greeting
        turns = 1 + rng.poisson(1.0);
      }
      const pRec = online ? p.recognizedOnline : p.recognizedHotline;
      // Recognition happens on the first turn mostly, sometimes on a later one.
      const recognizeAt = turns > 0 && rng.chance(pRec) ? (turns > 1 && rng.chance(0.2) ? 1 + rng.int(turns - 1) : 0) : -1;
      const willConfirm = recognizeAt >= 0 && rng.chance(p.confirmed);
      for (let i = 0; i < turns; i++) {
        t += ms((online ? rng.uniform(6, 18) : rng.uniform(12, 30)) * SEC);
        S(t, 'BOT_TURN');
        if (i === recognizeAt) {
          t += ms(rng.uniform(0.3, 1.5) * SEC);
          S(t, 'QUESTION_RECOGNIZED', intent);
          recognized = true;
          if (willConfirm) {
            t += ms(rng.uniform(2, 9) * SEC);
            S(t, 'QUESTION_CONFIRMED', intent);
            confirmed = true;
          }
        }
      }
      // Unrecognised questions are transferred far more often.
      const mult = recognized ? (confirmed ? 0.55 : 1.1) : 2.6;
      const norm = pRec * p.confirmed * 0.55 + pRec * (1 - p.confirmed) * 1.1 + (1 - pRec) * 2.6;
      if (rng.chance((p.transfer[channel] * mult) / norm)) {
        t += ms(rng.uniform(1, 4) * SEC);
        S(t, 'TRANSFERRED_TO_AGENT', recognized ? intent : null);
        transferred = true;
        human = true;
      } else {
        t += ms((online ? rng.uniform(3, 12) : rng.uniform(4, 12)) * SEC);
        endAt = t;
      }
    }

    if (human) {
      if (online) {
        // Live chat: queue, an agent joins, the chat runs; no telephony call.
        t += ms(Math.min(rng.exp(25 * SEC), 10 * MIN)) + 500;
        const agent = this.pickAgent(buIdx, t);
        S(t, 'AGENT_JOINED', null, agent.id);
        chatAgent = agent.id;
        t += ms(clamp(rng.logNormal(140 * SEC, 0.55), 20 * SEC, 20 * MIN));
        endAt = t;
      } else {
        const call = this.callFlow(t + ms(rng.uniform(0.3, 1.5) * SEC), c, (at, agent) => S(at, 'AGENT_JOINED', null, agent));
        abandoned = call.abandoned;
        endAt = call.hangUp;
        if (call.agent) answeredCall = { agent: call.agent, end: call.end };
      }
    }

    // ENDED names the agent who handled the contact, if any.
    if (endAt !== null && !dropEnded) S(endAt, 'ENDED', null, answeredCall ? answeredCall.agent.id : chatAgent);
    const end = dropEnded ? last : (endAt ?? last);

    // ---- what follows the contact ----
    const selfService = !human;
    let repeatMult: number;
    if (abandoned) repeatMult = 4;
    else if (selfService) repeatMult = clicked || confirmed ? 0.55 : recognized ? 1.3 : 2.3;
    else repeatMult = 0.85;
    const repeat = rng.chance(Math.min(0.9, p.repeatContact * repeatMult));
    if (repeat) {
      const r = rng.next();
      const gap = r < 0.55 ? rng.exp(45 * MIN) : r < 0.9 ? rng.exp(6 * HOUR) : rng.uniform(20, 40) * HOUR;
      this.push(ms(end + MIN + gap), (at) => this.newContact(at, c));
    }

    if (rng.chance(p.survey * (human ? 1.4 : 0.9))) {
      const at = ms(end + 30 * SEC + rng.exp(20 * MIN));
      const table = repeat || abandoned ? SCORES_UNRESOLVED : human ? SCORES_HUMAN : SCORES_RESOLVED;
      const event: SurveyEvent = {
        event_id: this.eventId(),
        event_time: at,
        business_unit: c.bu,
        product: c.product,
        type: 'RESPONDED',
        survey_id: `v-${this.o.idPrefix}-${++this.n.survey}`,
        contact_id: c.sid,
        user_id: c.user,
        channel: c.channel,
        handled_by: human ? 'HUMAN' : 'SELF_SERVICE',
        score: 1 + rng.weighted(table),
        valid: rng.chance(p.surveyValid),
      };
      this.push(at, { topic: 'cs.surveys', event });
    }

    const complaintMult = abandoned ? 6 : repeat ? 2.5 : human ? 1.2 : 0.6;
    if (rng.chance((p.complaintsPer10k / 10_000) * (complaintMult / COMPLAINT_MULT_MEAN))) this.fileComplaint(ms(end + 2 * MIN + rng.exp(4 * HOUR)), c);

    if (answeredCall && rng.chance(p.qaReview)) {
      const at = ms(answeredCall.end + rng.uniform(2, 72) * HOUR);
      const score = Math.round(clamp(85 + answeredCall.agent.skill + rng.normal() * 7, 0, 100));
      const event: QaEvent = {
        event_id: this.eventId(),
        event_time: at,
        business_unit: c.bu,
        product: c.product,
        type: 'REVIEWED',
        review_id: `r-${this.o.idPrefix}-${++this.n.review}`,
        contact_id: c.sid,
        agent_id: answeredCall.agent.id,
        channel: 'HOTLINE',
        score,
        passed: score >= 80,
      };
      this.push(at, { topic: 'cs.qa', event });
    }
  }

  /**
   * A call to the human hotline: OFFERED → ANSWERED (→ onAnswer) → ENDED after talk, hold and
   * after-call work, or OFFERED → ABANDONED. Waits and abandonment grow with load.
   */
  private callFlow(
    t: number,
    c: Contact,
    onAnswer: (at: number, agentId: string) => void,
  ): { abandoned: boolean; hangUp: number; end: number; agent: Agent | null } {
    const rng = this.rng;
    const p = this.p;
    this.s.calls++;
    const callId = `c-${this.o.idPrefix}-${++this.n.call}`;
    const r = rng.next();
    const queue = `${c.bu}.${r < 0.85 ? 'general' : r < 0.95 ? 'priority' : 'retention'}`;
    const C = (
      at: number,
      type: CallEvent['type'],
      agent: Agent | null,
      wait: number | null,
      talk: number | null = null,
      hold: number | null = null,
      acw: number | null = null,
    ): void => {
      const event: CallEvent = {
        event_id: this.eventId(),
        event_time: at,
        business_unit: c.bu,
        product: c.product,
        type,
        call_id: callId,
        session_id: c.sid,
        user_id: c.user,
        queue,
        agent_id: agent ? agent.id : null,
        site_type: agent ? agent.site : null,
        wait_ms: wait,
        talk_ms: talk,
        hold_ms: hold,
        acw_ms: acw,
      };
      this.push(at, { topic: 'cs.calls', event });
    };
    C(t, 'OFFERED', null, null);
    const load = this.load(t);
    if (rng.chance(Math.min(0.5, p.abandon * Math.pow(load, 0.9)))) {
      const wait = ms(Math.min(2 * SEC + rng.exp(40 * SEC), 10 * MIN));
      C(t + wait, 'ABANDONED', null, wait);
      const hangUp = t + wait + ms(rng.uniform(0.1, 1) * SEC);
      return { abandoned: true, hangUp, end: hangUp, agent: null };
    }
    const wait = ms(Math.min(rng.exp(p.meanWaitSeconds * SEC * Math.pow(load, 0.7)), 10 * MIN));
    const answeredAt = t + wait;
    const agent = this.pickAgent(c.buIdx, answeredAt);
    C(answeredAt, 'ANSWERED', agent, wait);
    const joined = answeredAt + ms(rng.uniform(0.1, 0.8) * SEC);
    onAnswer(joined, agent.id);
    const talk = ms(clamp(rng.logNormal(170 * SEC, 0.55), 20 * SEC, 20 * MIN));
    const hold = rng.chance(0.3) ? ms(Math.min(rng.exp(60 * SEC), 5 * MIN)) : 0;
    const acw = ms(clamp(rng.logNormal(35 * SEC, 0.5), 5 * SEC, 5 * MIN));
    const hangUp = joined + talk + hold;
    // The call ENDS when the agent finishes the after-call work.
    C(hangUp + acw, 'ENDED', agent, null, talk, hold, acw);
    return { abandoned: false, hangUp, end: hangUp + acw, agent };
  }

  // ---- complaints --------------------------------------------------------------------------------

  private fileComplaint(at: number, c: Contact): void {
    const rng = this.rng;
    const p = this.p;
    const complaintId = `k-${this.o.idPrefix}-${++this.n.complaint}`;
    const contactId = rng.chance(p.complaintWithContact) ? c.sid : null;
    const category = COMPLAINT_CATEGORIES[rng.weighted(COMPLAINT_CATEGORY_CUMULATIVE)]!;
    const external = rng.chance(p.complaintExternal);
    const K = (when: number, type: ComplaintEvent['type']): void => {
      const event: ComplaintEvent = {
        event_id: this.eventId(),
        event_time: when,
        business_unit: c.bu,
        product: c.product,
        type,
        complaint_id: complaintId,
        user_id: c.user,
        contact_id: contactId,
        channel: c.channel,
        category,
        external,
      };
      this.push(when, { topic: 'cs.complaints', event });
    };
    K(at, 'FILED');
    const r = rng.next();
    if (r < p.complaintUpheld) {
      const decided = ms(at + rng.uniform(2, 14) * DAY);
      K(decided, 'UPHELD');
      // Now and then the desk records the decision twice (counted once by the pipeline).
      if (rng.chance(0.03)) K(ms(decided + rng.uniform(1, 24) * HOUR), 'UPHELD');
    } else if (r < p.complaintUpheld + p.complaintRejected) {
      K(ms(at + rng.uniform(1, 10) * DAY), 'REJECTED');
    }
  }

  // ---- outreach ----------------------------------------------------------------------------------

  private newOutreach(t: number): void {
    const rng = this.rng;
    const p = this.p;
    const w = this.world;
    const campaign = CAMPAIGNS[rng.int(CAMPAIGNS.length)]!;
    const buIdx = Math.max(0, w.businessUnits.indexOf(campaign.businessUnit));
    const product = w.products[buIdx]![rng.weighted(w.productCumulative[buIdx]!)]!;
    const user = `u-${rng.int(this.o.users) + 1}`;
    const channel = CHANNELS[rng.weighted(this.outreachChannelCum)]!;
    const O = (at: number, type: OutreachEvent['type'], outreachId: string | null): void => {
      const event: OutreachEvent = {
        event_id: this.eventId(),
        event_time: at,
        business_unit: campaign.businessUnit,
        product,
        type,
        outreach_id: outreachId,
        user_id: user,
        campaign: campaign.name,
        channel,
      };
      this.push(at, { topic: 'cs.outreach', event });
    };
    O(t, 'CONTACTED', `o-${this.o.idPrefix}-${++this.n.outreach}`);
    const r = rng.next();
    if (r < p.retained + p.churned) {
      const delay = rng.chance(p.outcomeLate) ? rng.uniform(30.5, 45) * DAY : Math.min(HOUR + rng.exp(5 * DAY), 29 * DAY);
      // Outcomes come from the core systems, which do not know the outreach id.
      O(ms(t + delay), r < p.retained ? 'RETAINED' : 'CHURNED', null);
    }
  }

  // ---- workforce ---------------------------------------------------------------------------------

  /**
   * Staffing: agent-seconds of work per contact (calls: talk+hold+acw; chats: handled two at a
   * time) → agents needed per local hour and business unit → 8-hour shifts covering that
   * demand (greedy over a circular day), one plan per weekday. Pools hold enough agents that
   * nobody works two shifts within a day.
   */
  private buildWorkforce(): void {
    const p = this.p;
    const mixSum = p.channelMix.APP + p.channelMix.WEB + p.channelMix.HOTLINE;
    let work = 0;
    for (const ch of CHANNELS) {
      const share = p.channelMix[ch] / mixSum;
      const humanShare = p.humanEntry[ch] + (1 - p.humanEntry[ch]) * p.transfer[ch];
      work += share * humanShare * (ch === 'HOTLINE' ? 270 : 160 / 2);
    }
    work *= 1 + p.repeatContact; // return contacts go to agents more often
    const days = this.o.diurnal ? 7 : 1;
    // Pools are sized for the busiest planned day (calendar and trend) of the window.
    const busiest = this.volume ? this.volume.maxPlannedFactors(this.o.start, this.o.end) : this.world.businessUnits.map(() => 1);
    let maxShiftsPerDay = this.world.businessUnits.map(() => 0);
    for (let wd = 0; wd < days; wd++) {
      const perBu = this.world.buShare.map((share, b) => {
        const demand: number[] = [];
        for (let h = 0; h < 24; h++) {
          const load = this.o.diurnal ? diurnal(h + 0.5) * weekly(wd) : 1;
          const contactsPerHour = (this.o.contactsPerDay / 24) * load;
          demand.push((contactsPerHour * share * work) / (3600 * OCCUPANCY));
        }
        const starts = coverWithShifts(agentsNeeded(demand, busiest[b]!), SHIFT_MS / HOUR);
        maxShiftsPerDay[b] = Math.max(maxShiftsPerDay[b]!, starts.reduce((s, v) => s + v, 0));
        return demand;
      });
      this.usualDemand.push(perBu);
    }
    maxShiftsPerDay = maxShiftsPerDay.map((v) => Math.ceil(v * 1.4) + 2);
    const rng = this.planRng;
    this.world.businessUnits.forEach((bu, b) => {
      const pool: Agent[] = [];
      for (let i = 0; i < maxShiftsPerDay[b]!; i++) {
        pool.push({
          id: `a-${bu}-${String(i + 1).padStart(4, '0')}`,
          site: rng.chance(OUTSOURCED_SHARE) ? 'OUTSOURCED' : 'IN_HOUSE',
          bu: b,
          skill: rng.normal() * 4,
        });
      }
      this.pools.push(pool);
      this.poolNext.push(0);
      this.shifts.push([]);
    });
  }

  private initPlanning(): void {
    const start = this.o.start;
    this.nextPlanDay = this.zone.startOfDay(start - SHIFT_MS - HOUR);
    while (this.nextPlanDay <= start + 3 * HOUR) this.planNextDay(start);
    this.schedulePlanning();
  }

  private schedulePlanning(): void {
    const at = this.nextPlanDay - 3 * HOUR;
    this.push(at, (t) => {
      this.planNextDay(t);
      this.schedulePlanning();
    });
  }

  /** Plans the shifts starting on local day `nextPlanDay` and emits their LOGGED_IN/OUT. */
  private planNextDay(now: number): void {
    const dayStart = this.nextPlanDay;
    this.nextPlanDay = this.zone.nextDay(dayStart);
    const { year, month, day } = this.zone.localDate(dayStart);
    const demand = this.usualDemand[this.o.diurnal ? this.zone.weekday(dayStart) : 0]!;
    // Planners staff for the calendar's known days and the trend, never for surges.
    const planned = this.volume?.plannedBusinessUnitFactors(dayStart);
    const rng = this.planRng;
    const start = this.o.start;
    for (let b = 0; b < this.pools.length; b++) {
      // Forget shifts that ended more than an hour ago.
      const list = this.shifts[b]!.filter((s) => s.to > now - HOUR);
      this.shifts[b] = list;
      const pool = this.pools[b]!;
      const starts = coverWithShifts(agentsNeeded(demand[b]!, planned?.[b] ?? 1), SHIFT_MS / HOUR);
      for (let h = 0; h < 24; h++) {
        const slot = this.zone.toUtc(year, month, day, h);
        for (let k = 0; k < starts[h]!; k++) {
          const agent = pool[this.poolNext[b]!++ % pool.length]!;
          const from = ms(slot - rng.uniform(0, 10) * MIN);
          const to = ms(slot + SHIFT_MS + rng.uniform(0, 15) * MIN);
          if (to <= start) continue;
          list.push({ agent, from, to });
          this.agentEvent(Math.max(from, start), 'LOGGED_IN', agent);
          this.agentEvent(to, 'LOGGED_OUT', agent);
        }
      }
    }
  }

  private agentEvent(at: number, type: AgentEvent['type'], agent: Agent): void {
    const event: AgentEvent = {
      event_id: this.eventId(),
      event_time: at,
      business_unit: this.world.businessUnits[agent.bu]!,
      product: 'all',
      type,
      agent_id: agent.id,
      site_type: agent.site,
    };
    this.push(at, { topic: 'cs.agents', event });
  }

  /** A random agent of the business unit logged in at t (another unit's if none is). */
  private pickAgent(b: number, t: number): Agent {
    const rng = this.rng;
    const list = this.shifts[b]!;
    for (let i = 0; i < 16 && list.length > 0; i++) {
      const s = list[rng.int(list.length)]!;
      if (s.from <= t && t < s.to) return s.agent;
    }
    for (const s of list) if (s.from <= t && t < s.to) return s.agent;
    this.s.agentBorrowed++;
    for (const other of this.shifts) for (const s of other) if (s.from <= t && t < s.to) return s.agent;
    return this.pools[b]![0]!;
  }
}

const OUTREACH_FROM = 9;
/** Return contacts per contact ≈ repeatContact × this (measured: the outcome multipliers average out). */
const REPEAT_SHARE_PER_P = 0.94;
/** Mean of the complaint multipliers over contacts (measured), so complaintsPer10k is the mean. */
const COMPLAINT_MULT_MEAN = 0.8;
const OUTREACH_HOURS = 11;

/** Whole agents per hour for a demand scaled by `factor`, at least two per business unit. */
function agentsNeeded(demand: readonly number[], factor: number): number[] {
  return demand.map((d) => Math.max(2, Math.ceil(d * factor)));
}

function ms(x: number): number {
  return Math.round(x);
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/**
 * Number of shifts to start at each hour of a circular day so that at every hour at least
 * demand[h] shifts (of `length` hours) are running. Greedy, repeated until stable.
 */
export function coverWithShifts(demand: readonly number[], length: number): number[] {
  const n = demand.length;
  const starts = new Array<number>(n).fill(0);
  for (let pass = 0; pass < 3; pass++) {
    for (let h = 0; h < n; h++) {
      let covered = 0;
      for (let k = 0; k < length; k++) covered += starts[(h - k + n) % n]!;
      if (covered < demand[h]!) starts[h]! += demand[h]! - covered;
    }
  }
  return starts;
}
