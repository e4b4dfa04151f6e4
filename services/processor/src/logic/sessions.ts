/**
 * Sessionization (SPEC §5), live (SPEC §4): session events → contacts. A contact counts in the
 * ended-contact metrics as soon as its ENDED is processed; an event arriving later (within the
 * allowed lateness) that changes it retracts that contribution and adds the new one. Its window
 * closes when the horizon passes its end (its inactivity end without ENDED): then its facts are
 * final, a contact ended by inactivity is counted, and a tombstone marks later arrivals as late.
 */
import type { MetricId } from '@cs/catalog';
import type { ConsumedMessage } from '@cs/kafka';
import type { SessionEvent } from '@cs/schemas';
import type { Dimensions, Settled, StepContext, StepResult, TopicLogic } from '../engine/types.ts';
import { byEventTime, contactOf, INACTIVITY_MS, type Contact } from './contact.ts';
import { DueIndex } from './due-index.ts';
import { contactChanged, decideDue, FCR_OPEN, fcrNextDue, registerStart, type EndedContact } from './fcr.ts';
import { deadLetterKept, emitChange, type Contribution } from './kept.ts';
import { minBound, OpenTimes } from './open-times.ts';

interface OpenSession {
  /** In byEventTime order; offsets[i] is the offset events[i] was read at. */
  events: SessionEvent[];
  offsets: number[];
  windowEnd: number;
  /** The WINDOWS bucket the session is filed under. */
  filed: number;
  /** The contact counts in the ended-contact metrics (its contribution is that of contactOf(events)). */
  counted: boolean;
}

interface ClosedSession {
  closed: true;
  started: boolean;
  windowEnd: number;
  filed: number;
}

type SessionState = OpenSession | ClosedSession;

/** Sessions filed by when something is due: an open window's end, or a tombstone's expiry. */
const WINDOWS = new DueIndex('session-due', 60_000);
/** Starts of the open contacts: their ended-contact figures can still change. */
const OPEN = new OpenTimes('session-open', 60_000);
const key = (sessionId: string) => `s:${sessionId}`;
/** Past this, in stream-time horizon terms, any event of a closed session is late by stream time alone. */
const tombstoneExpiry = (s: ClosedSession, ctx: StepContext) => s.windowEnd + INACTIVITY_MS + ctx.rules.allowedLatenessMs;
const isClosed = (s: SessionState): s is ClosedSession => 'closed' in s;
const hasStart = (events: readonly SessionEvent[]) => events.some((e) => e.type === 'STARTED');

export const ONLINE = (channel: string) => channel !== 'HOTLINE';

export function dimsOf(e: SessionEvent): Dimensions {
  return { business_unit: e.business_unit, product: e.product, channel: e.channel };
}

/** Metrics counted per contact once it ended (attributed to its start). */
const ENDED_CONTACT_METRICS = ['self_service_share', 'self_service_transfer_rate', 'online_aht_seconds', 'voicebot_recognition_coverage', 'voicebot_confirmation_rate', 'voicebot_avg_turns', 'prediction_hit_rate'] as const;
/** Counted at STARTED; never change afterwards. */
const START_METRICS = ['contacts', 'complaints_per_10k', 'upheld_complaints_per_10k'] as const;
const FCR_METRICS = ['fcr_rate', 'self_service_resolution_rate'] as const;

/** A contact counts live once ended by its ENDED; one ended by inactivity when its window closes. */
const countsLive = (c: Contact) => c.start !== null && c.endedBy === 'ENDED';

export const sessionsLogic: TopicLogic<SessionEvent> = {
  topic: 'cs.sessions',
  rawTable: 'raw_sessions',
  metrics: [...START_METRICS, ...ENDED_CONTACT_METRICS, ...FCR_METRICS],

  onEvent(ctx: StepContext, event: SessionEvent, msg: ConsumedMessage): StepResult {
    const k = key(event.session_id);
    let s = ctx.state.get<SessionState>(k);
    // A session seen only without STARTED has no contact to be late for: its events keep waiting
    // (and become orphans at close), and a STARTED still opens its contact.
    if (s && isClosed(s) && !s.started) s = undefined;
    if (s && (isClosed(s) || (s.windowEnd < ctx.horizon && hasStart(s.events)))) {
      return { kind: 'dead_letter', reason: 'late', detail: `contact ${event.session_id} is already closed` };
    }
    if (s && s.events.some((e) => e.event_id === event.event_id)) return { kind: 'drop', why: 'duplicate' };
    if (event.type === 'STARTED' && s && hasStart(s.events)) {
      return { kind: 'dead_letter', reason: 'invalid', detail: `session ${event.session_id} already has a STARTED` };
    }
    const before = s?.counted ? contactOf(s.events, true) : null;
    // In place (the value is written back below): events arrive mostly in order, so this appends.
    const events = s?.events ?? [];
    const offsets = s?.offsets ?? [];
    let at = events.length;
    while (at > 0 && byEventTime(events[at - 1]!, event) > 0) at--;
    events.splice(at, 0, event);
    offsets.splice(at, 0, Number(msg.offset));
    const contact = contactOf(events, true);
    const counted = countsLive(contact);
    const filed = WINDOWS.schedule(ctx.state, event.session_id, contact.windowEnd, s ? s.filed : null);
    ctx.state.set(k, { events, offsets, windowEnd: contact.windowEnd, filed, counted } satisfies OpenSession);
    if (event.type === 'STARTED') {
      OPEN.add(ctx.state, event.event_time);
      registerStart(ctx, event.user_id, event.product, event.session_id, event.event_time);
      // Counted at STARTED; it never changes afterwards.
      const dims = dimsOf(event);
      ctx.emit.metric('contacts', event.event_time, dims, 1, 0);
      ctx.emit.metric('complaints_per_10k', event.event_time, dims, 0, 1);
      ctx.emit.metric('upheld_complaints_per_10k', event.event_time, dims, 0, 1);
    }
    if (before || counted) {
      const row = counted ? contactRow(contact, contact.start!, false) : null;
      emitChange(ctx, before && contribution(before), row && contribution(contact, row));
      const start = contact.start ?? before?.start;
      if (start) contactChanged(ctx, start.user_id, start.product, start.session_id, counted ? endedContact(contact) : null, false);
      // A provisional row as soon as the contact ended, so cs.contacts is fresh; the final row replaces it.
      if (row) ctx.emit.upsert('contacts_local', event.session_id, row);
    }
    return { kind: 'ok' };
  },

  closeWindows(ctx: StepContext): void {
    const load = (id: string) => ctx.state.get<SessionState>(key(id));
    WINDOWS.takeDue(ctx.state, ctx.horizon, load, (s) => s.filed, (id, s) => {
      const k = key(id);
      if (isClosed(s)) {
        const expiry = tombstoneExpiry(s, ctx);
        if (expiry < ctx.horizon) ctx.state.delete(k);
        else ctx.state.set(k, { ...s, filed: WINDOWS.schedule(ctx.state, id, expiry, null) });
        return;
      }
      if (s.windowEnd >= ctx.horizon) {
        ctx.state.set(k, { ...s, filed: WINDOWS.schedule(ctx.state, id, s.windowEnd, null) });
        return;
      }
      const contact = contactOf(s.events, true);
      emitClosed(ctx, contact, s);
      const closed: ClosedSession = { closed: true, started: contact.start !== null, windowEnd: contact.windowEnd, filed: 0 };
      closed.filed = WINDOWS.schedule(ctx.state, id, tombstoneExpiry(closed, ctx), null);
      ctx.state.set(k, closed);
    });
    decideDue(ctx);
  },

  nextDue: (state) => minBound(WINDOWS.firstStart(state), fcrNextDue(state)),

  settled(ctx: StepContext): Settled {
    const open = OPEN.earliest(ctx.state);
    const fcr = minBound(open, FCR_OPEN.earliest(ctx.state));
    const out: Settled = {};
    for (const m of ENDED_CONTACT_METRICS) out[m] = open ?? ctx.horizon;
    for (const m of FCR_METRICS) out[m] = fcr ?? ctx.horizon;
    return out;
  },
};

function deadLetterEvents(ctx: StepContext, s: OpenSession, events: SessionEvent[], reason: 'late' | 'orphan', detail: string): void {
  for (const event of events) deadLetterKept(ctx, 'cs.sessions', { event, offset: s.offsets[s.events.indexOf(event)] ?? -1 }, reason, detail);
}

/** What an ended contact adds to the ended-contact metrics (SPEC §6), at its start; `row`: its contactRow. */
function contribution(c: Contact, row = contactRow(c, c.start!, false)): Contribution {
  const start = c.start!;
  const values: Contribution['values'] = {};
  const m = (id: MetricId, num: number | boolean) => (values[id] = [Number(num), 1]);
  m('self_service_share', row.self_service);
  if (row.self_service_entry) m('self_service_transfer_rate', row.transferred);
  if (row.online) m('online_aht_seconds', row.duration_seconds);
  if (start.channel === 'HOTLINE' && row.self_service_entry) {
    m('voicebot_recognition_coverage', row.questions_recognized > 0);
    if (row.questions_recognized > 0) m('voicebot_confirmation_rate', row.questions_confirmed > 0);
    m('voicebot_avg_turns', row.bot_turns);
  }
  if (row.prediction_shown) m('prediction_hit_rate', row.prediction_clicked);
  return { time: start.event_time, dims: dimsOf(start), values };
}

function endedContact(c: Contact): EndedContact {
  const start = c.start!;
  const selfService = start.entry === 'SELF_SERVICE' && !c.members.some((e) => e.type === 'TRANSFERRED_TO_AGENT');
  return { session: start.session_id, start: start.event_time, end: c.end, selfService, dims: dimsOf(start) };
}

/** The window closed: dead letters for the events outside the contact, its final row and figures. */
function emitClosed(ctx: StepContext, c: Contact, s: OpenSession): void {
  if (!c.start) {
    deadLetterEvents(ctx, s, c.before, 'orphan', 'session has no STARTED');
    return;
  }
  deadLetterEvents(ctx, s, c.before, 'orphan', 'event before the session STARTED');
  deadLetterEvents(ctx, s, c.after, 'late', `event after the contact ended (${c.endedBy})`);
  OPEN.remove(ctx.state, c.start.event_time);
  ctx.emit.upsert('contacts_local', c.start.session_id, contactRow(c, c.start, true));
  // Counted live since its ENDED (same events, same contribution), or now, ended by inactivity.
  if (!s.counted) emitChange(ctx, null, contribution(c));
  contactChanged(ctx, c.start.user_id, c.start.product, c.start.session_id, endedContact(c), true);
}

/** The cs.contacts row of a contact: its derived facts (SPEC §5, §7). */
export function contactRow(c: Contact, start: SessionEvent, final: boolean) {
  // One pass over the members (this runs for every event of an ended contact).
  const counts: Partial<Record<SessionEvent['type'], number>> = {};
  // The last intent the contact carried (recognised questions refine the one given at STARTED).
  let intent: string | null = null;
  for (const e of c.members) {
    counts[e.type] = (counts[e.type] ?? 0) + 1;
    intent = e.intent ?? intent;
  }
  const count = (type: SessionEvent['type']) => counts[type] ?? 0;
  const selfServiceEntry = start.entry === 'SELF_SERVICE';
  const transferred = count('TRANSFERRED_TO_AGENT') > 0;
  return {
    session_id: start.session_id,
    user_id: start.user_id,
    business_unit: start.business_unit,
    product: start.product,
    channel: start.channel,
    entry: start.entry ?? '',
    intent,
    start_time: start.event_time,
    end_time: c.end,
    ended_by: c.endedBy,
    duration_seconds: (c.end - start.event_time) / 1000,
    self_service_entry: selfServiceEntry,
    transferred,
    self_service: selfServiceEntry && !transferred,
    online: ONLINE(start.channel),
    bot_turns: count('BOT_TURN'),
    questions_recognized: count('QUESTION_RECOGNIZED'),
    questions_confirmed: count('QUESTION_CONFIRMED'),
    prediction_shown: count('PREDICTION_SHOWN') > 0,
    prediction_clicked: count('PREDICTION_CLICKED') > 0,
    // The FCR decision is kept in contact_fcr; cs.contacts reads it from there.
    fcr_state: 'pending',
    final,
  };
}
