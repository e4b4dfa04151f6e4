/**
 * Aggregate figures of a stream of events, following SPEC §5–§6 closely enough to check the
 * simulator's realism (the pipeline is the reference implementation, not this). Keeps one
 * small record per contact/call/outreach, so it is meant for test and report runs, not for
 * unbounded streams. Duplicated event_ids are ignored.
 */
import type { TopicEvent } from './generator.ts';
import { ZoneClock } from './zone.ts';

const FCR_WINDOW = 24 * 3_600_000;
const RETENTION_WINDOW = 30 * 86_400_000;

interface ContactRec {
  start: number;
  last: number;
  endedAt: number | null;
  hotline: boolean;
  selfServiceEntry: boolean;
  transferred: boolean;
  recognized: boolean;
  confirmed: boolean;
  turns: number;
  shown: boolean;
  clicked: boolean;
  key: string;
}

export interface TrafficSummary {
  events: number;
  duplicates: number;
  byTopic: Record<string, number>;
  byType: Record<string, number>;
  firstEventTime: number;
  lastEventTime: number;
  contacts: number;
  eventsPerContact: number;
  sessionsWithoutEnded: number;
  channelShare: Record<string, number>;
  selfServiceEntryShare: number;
  selfServiceShare: number;
  selfServiceTransferRate: number;
  fcrRate: number;
  selfServiceResolutionRate: number;
  onlineAhtSeconds: number;
  hotlineSelfServiceSeconds: number;
  voicebotRecognitionCoverage: number;
  voicebotConfirmationRate: number;
  voicebotAvgTurns: number;
  predictionHitRate: number;
  callsOffered: number;
  humanAnswerRate: number;
  serviceLevel20s: number;
  abandonRate: number;
  humanAhtSeconds: number;
  surveys: number;
  surveyShareOfContacts: number;
  satisfactionTopBox: number;
  selfServiceSatisfaction: number;
  complaints: number;
  complaintsPer10k: number;
  upheldComplaintsPer10k: number;
  complaintsUpheldShare: number;
  outreachContacted: number;
  outreachRetentionRate: number;
  qaReviews: number;
  qaShareOfAnswered: number;
  qaAvgScore: number;
  qaPassRate: number;
  agentShifts: number;
  distinctAgents: number;
  staffedHours: number;
  /** Contacts started per local hour of day (0–23) in the given zone. */
  contactsByHour: number[];
  peakToQuietHour: number;
  businessUnits: number;
  products: number;
  /** Share of contacts on the most popular product. */
  topProductShare: number;
}

export class Summarizer {
  private readonly zone: ZoneClock;
  private seen = new Set<string>();
  private duplicates = 0;
  private events = 0;
  private byTopic: Record<string, number> = {};
  private byType: Record<string, number> = {};
  private first = Infinity;
  private last = -Infinity;
  private contacts = new Map<string, ContactRec>();
  private channels: Record<string, number> = {};
  private contactsByHour = new Array<number>(24).fill(0);
  private productCounts = new Map<string, number>();
  private bus = new Set<string>();
  private calls = new Map<string, { answered: boolean; abandoned: boolean; wait: number | null }>();
  private ahtSum = 0;
  private ahtN = 0;
  private surveys = { n: 0, valid: 0, top: 0, ssValid: 0, ssTop: 0 };
  private complaints = { filed: new Set<string>(), upheld: new Set<string>() };
  private outreach: Array<{ user: string; t: number }> = [];
  private outcomes = new Map<string, Array<{ t: number; retained: boolean }>>();
  private qa = { n: 0, sum: 0, passed: 0 };
  private agentsOpen = new Map<string, number>();
  private agents = new Set<string>();
  private shifts = 0;
  private staffedMs = 0;

  constructor(timeZone = 'UTC') {
    this.zone = new ZoneClock(timeZone);
  }

  add({ topic, event }: TopicEvent): void {
    if (this.seen.has(event.event_id)) {
      this.duplicates++;
      return;
    }
    this.seen.add(event.event_id);
    this.events++;
    this.byTopic[topic] = (this.byTopic[topic] ?? 0) + 1;
    const tk = `${topic}:${event.type}`;
    this.byType[tk] = (this.byType[tk] ?? 0) + 1;
    const t = event.event_time;
    if (t < this.first) this.first = t;
    if (t > this.last) this.last = t;
    switch (topic) {
      case 'cs.sessions': {
        const e = event;
        let c = this.contacts.get(e.session_id);
        if (e.type === 'STARTED') {
          c = {
            start: t,
            last: t,
            endedAt: null,
            hotline: e.channel === 'HOTLINE',
            selfServiceEntry: e.entry === 'SELF_SERVICE',
            transferred: false,
            recognized: false,
            confirmed: false,
            turns: 0,
            shown: false,
            clicked: false,
            key: `${e.user_id}|${e.product}`,
          };
          this.contacts.set(e.session_id, c);
          this.channels[e.channel] = (this.channels[e.channel] ?? 0) + 1;
          this.contactsByHour[Math.floor(this.zone.hourOfDay(t))]!++;
          this.productCounts.set(`${e.business_unit}/${e.product}`, (this.productCounts.get(`${e.business_unit}/${e.product}`) ?? 0) + 1);
          this.bus.add(e.business_unit);
          return;
        }
        if (!c || c.endedAt !== null) return;
        c.last = Math.max(c.last, t);
        if (e.type === 'ENDED') c.endedAt = t;
        else if (e.type === 'TRANSFERRED_TO_AGENT') c.transferred = true;
        else if (e.type === 'QUESTION_RECOGNIZED') c.recognized = true;
        else if (e.type === 'QUESTION_CONFIRMED') c.confirmed = true;
        else if (e.type === 'BOT_TURN') c.turns++;
        else if (e.type === 'PREDICTION_SHOWN') c.shown = true;
        else if (e.type === 'PREDICTION_CLICKED') c.clicked = true;
        return;
      }
      case 'cs.calls': {
        const e = event;
        if (e.type === 'OFFERED') this.calls.set(e.call_id, { answered: false, abandoned: false, wait: null });
        const call = this.calls.get(e.call_id);
        if (!call) return;
        if (e.type === 'ANSWERED' && !call.answered && !call.abandoned) {
          call.answered = true;
          call.wait = e.wait_ms;
        } else if (e.type === 'ABANDONED' && !call.answered && !call.abandoned) call.abandoned = true;
        else if (e.type === 'ENDED' && call.answered) {
          this.ahtSum += (e.talk_ms ?? 0) + (e.hold_ms ?? 0) + (e.acw_ms ?? 0);
          this.ahtN++;
        }
        return;
      }
      case 'cs.surveys': {
        const e = event;
        this.surveys.n++;
        if (!e.valid) return;
        this.surveys.valid++;
        if (e.score === 5) this.surveys.top++;
        if (e.handled_by === 'SELF_SERVICE') {
          this.surveys.ssValid++;
          if (e.score === 5) this.surveys.ssTop++;
        }
        return;
      }
      case 'cs.complaints': {
        const e = event;
        if (e.type === 'FILED') this.complaints.filed.add(e.complaint_id);
        else if (e.type === 'UPHELD' && this.complaints.filed.has(e.complaint_id)) this.complaints.upheld.add(e.complaint_id);
        return;
      }
      case 'cs.outreach': {
        const e = event;
        if (e.type === 'CONTACTED') this.outreach.push({ user: e.user_id, t });
        else {
          const list = this.outcomes.get(e.user_id) ?? [];
          list.push({ t, retained: e.type === 'RETAINED' });
          this.outcomes.set(e.user_id, list);
        }
        return;
      }
      case 'cs.agents': {
        const e = event;
        this.agents.add(e.agent_id);
        if (e.type === 'LOGGED_IN') {
          this.shifts++;
          this.agentsOpen.set(e.agent_id, t);
        } else {
          const from = this.agentsOpen.get(e.agent_id);
          if (from !== undefined) this.staffedMs += Math.min(t - from, 12 * 3_600_000);
          this.agentsOpen.delete(e.agent_id);
        }
        return;
      }
      case 'cs.qa': {
        const e = event;
        this.qa.n++;
        this.qa.sum += e.score;
        if (e.passed) this.qa.passed++;
        return;
      }
    }
  }

  result(): TrafficSummary {
    const ratio = (a: number, b: number): number => (b > 0 ? a / b : NaN);
    const windowEnd = this.last;
    let ss = 0;
    let ssEntry = 0;
    let ssEntryTransferred = 0;
    let noEnded = 0;
    let onlineN = 0;
    let onlineSum = 0;
    let hotSsN = 0;
    let hotSsSum = 0;
    let vbN = 0;
    let vbRec = 0;
    let vbConf = 0;
    let vbTurns = 0;
    let shown = 0;
    let hit = 0;
    const byKey = new Map<string, number[]>();
    for (const c of this.contacts.values()) {
      const end = c.endedAt ?? c.last;
      if (c.endedAt === null) noEnded++;
      const selfService = c.selfServiceEntry && !c.transferred;
      if (selfService) ss++;
      if (c.selfServiceEntry) {
        ssEntry++;
        if (c.transferred) ssEntryTransferred++;
      }
      if (!c.hotline) {
        onlineN++;
        onlineSum += end - c.start;
      }
      if (c.hotline && selfService) {
        hotSsN++;
        hotSsSum += end - c.start;
      }
      if (c.hotline && c.selfServiceEntry) {
        vbN++;
        vbTurns += c.turns;
        if (c.recognized) {
          vbRec++;
          if (c.confirmed) vbConf++;
        }
      }
      if (c.shown) {
        shown++;
        if (c.clicked) hit++;
      }
      const list = byKey.get(c.key) ?? [];
      list.push(c.start);
      byKey.set(c.key, list);
    }
    for (const list of byKey.values()) list.sort((a, b) => a - b);
    let fcrClosed = 0;
    let fcrOk = 0;
    let ssFcrClosed = 0;
    let ssFcrOk = 0;
    for (const c of this.contacts.values()) {
      const end = c.endedAt ?? c.last;
      if (end + FCR_WINDOW > windowEnd) continue;
      const starts = byKey.get(c.key)!;
      // Is there a contact starting in (start, end + window]?
      const i = upperBound(starts, c.start);
      const resolved = !(i < starts.length && starts[i]! <= end + FCR_WINDOW);
      const selfService = c.selfServiceEntry && !c.transferred;
      fcrClosed++;
      if (resolved) fcrOk++;
      if (selfService) {
        ssFcrClosed++;
        if (resolved) ssFcrOk++;
      }
    }
    let offered = 0;
    let answered = 0;
    let abandoned = 0;
    let sl = 0;
    for (const c of this.calls.values()) {
      offered++;
      if (c.answered) {
        answered++;
        if ((c.wait ?? Infinity) <= 20_000) sl++;
      }
      if (c.abandoned) abandoned++;
    }
    let outreachFinal = 0;
    let outreachRetained = 0;
    for (const o of this.outreach) {
      const first = (this.outcomes.get(o.user) ?? []).filter((x) => x.t >= o.t && x.t <= o.t + RETENTION_WINDOW).sort((a, b) => a.t - b.t)[0];
      if (first) {
        outreachFinal++;
        if (first.retained) outreachRetained++;
      } else if (o.t + RETENTION_WINDOW <= windowEnd) outreachFinal++;
    }
    const counts = [...this.productCounts.values()];
    const quiet = Math.min(...this.contactsByHour);
    const peak = Math.max(...this.contactsByHour);
    const n = this.contacts.size;
    const channelShare: Record<string, number> = {};
    for (const [ch, v] of Object.entries(this.channels)) channelShare[ch] = v / n;
    return {
      events: this.events,
      duplicates: this.duplicates,
      byTopic: this.byTopic,
      byType: this.byType,
      firstEventTime: this.first,
      lastEventTime: this.last,
      contacts: n,
      eventsPerContact: ratio(this.events, n),
      sessionsWithoutEnded: ratio(noEnded, n),
      channelShare,
      // Every contact ends here (ENDED or inactivity), so the ended contacts are all n.
      selfServiceEntryShare: ratio(ssEntry, n),
      selfServiceShare: ratio(ss, n),
      selfServiceTransferRate: ratio(ssEntryTransferred, ssEntry),
      fcrRate: ratio(fcrOk, fcrClosed),
      selfServiceResolutionRate: ratio(ssFcrOk, ssFcrClosed),
      onlineAhtSeconds: ratio(onlineSum / 1000, onlineN),
      hotlineSelfServiceSeconds: ratio(hotSsSum / 1000, hotSsN),
      voicebotRecognitionCoverage: ratio(vbRec, vbN),
      voicebotConfirmationRate: ratio(vbConf, vbRec),
      voicebotAvgTurns: ratio(vbTurns, vbN),
      predictionHitRate: ratio(hit, shown),
      callsOffered: offered,
      humanAnswerRate: ratio(answered, offered),
      serviceLevel20s: ratio(sl, offered),
      abandonRate: ratio(abandoned, offered),
      humanAhtSeconds: ratio(this.ahtSum / 1000, this.ahtN),
      surveys: this.surveys.n,
      surveyShareOfContacts: ratio(this.surveys.n, n),
      satisfactionTopBox: ratio(this.surveys.top, this.surveys.valid),
      selfServiceSatisfaction: ratio(this.surveys.ssTop, this.surveys.ssValid),
      complaints: this.complaints.filed.size,
      complaintsPer10k: ratio(this.complaints.filed.size * 10_000, n),
      upheldComplaintsPer10k: ratio(this.complaints.upheld.size * 10_000, n),
      complaintsUpheldShare: ratio(this.complaints.upheld.size, this.complaints.filed.size),
      outreachContacted: this.outreach.length,
      outreachRetentionRate: ratio(outreachRetained, outreachFinal),
      qaReviews: this.qa.n,
      qaShareOfAnswered: ratio(this.qa.n, answered),
      qaAvgScore: ratio(this.qa.sum, this.qa.n),
      qaPassRate: ratio(this.qa.passed, this.qa.n),
      agentShifts: this.shifts,
      distinctAgents: this.agents.size,
      staffedHours: this.staffedMs / 3_600_000,
      contactsByHour: this.contactsByHour,
      peakToQuietHour: quiet > 0 ? peak / quiet : Infinity,
      businessUnits: this.bus.size,
      products: counts.length,
      topProductShare: ratio(Math.max(0, ...counts), n),
    };
  }
}

/** Index of the first element > x in a sorted array. */
function upperBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function summarize(events: Iterable<TopicEvent>, timeZone = 'UTC'): TrafficSummary {
  const s = new Summarizer(timeZone);
  for (const e of events) s.add(e);
  return s.result();
}
