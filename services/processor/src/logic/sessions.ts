/**
 * Sessionization (SPEC §5): session events → contacts. Events wait in per-session state until the
 * contact's window closes (stream time past its end + allowed lateness, or an idle flush); then the
 * contact row and its metrics are emitted once and a tombstone marks late arrivals.
 */
import type { ConsumedMessage } from '@cs/kafka';
import type { SessionEvent } from '@cs/schemas';
import type { Dimensions, StepContext, StepResult, TopicLogic } from '../engine/types.ts';
import { contactOf, INACTIVITY_MS, type Contact } from './contact.ts';
import { DueIndex } from './due-index.ts';
import { awaitDecision, decideDue, earliestDecision, registerStart } from './fcr.ts';
import { deadLetterKept, safeHorizon } from './kept.ts';

interface OpenSession {
  events: SessionEvent[];
  offsets: number[];
  windowEnd: number;
  /** The WINDOWS bucket the session is filed under. */
  filed: number;
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
const key = (sessionId: string) => `s:${sessionId}`;
/** Past this, in stream-time horizon terms, any event of a closed session is late by stream time alone. */
const tombstoneExpiry = (s: ClosedSession, ctx: StepContext) => s.windowEnd + INACTIVITY_MS + ctx.rules.allowedLatenessMs;
const isClosed = (s: SessionState): s is ClosedSession => 'closed' in s;

export const ONLINE = (channel: string) => channel !== 'HOTLINE';

export function dimsOf(e: SessionEvent): Dimensions {
  return { business_unit: e.business_unit, product: e.product, channel: e.channel };
}

export const sessionsLogic: TopicLogic<SessionEvent> = {
  topic: 'cs.sessions',
  rawTable: 'raw_sessions',

  onEvent(ctx: StepContext, event: SessionEvent, msg: ConsumedMessage): StepResult {
    const k = key(event.session_id);
    let s = ctx.state.get<SessionState>(k);
    // A session seen only without STARTED has no contact to be late for: its events keep waiting
    // (and become orphans at close), and a STARTED still opens its contact.
    if (s && isClosed(s) && !s.started) s = undefined;
    if (s && (isClosed(s) || (s.windowEnd < ctx.horizon && s.events.some((e) => e.type === 'STARTED')))) {
      return { kind: 'dead_letter', reason: 'late', detail: `contact ${event.session_id} is already closed` };
    }
    if (s && s.events.some((e) => e.event_id === event.event_id)) return { kind: 'drop', why: 'duplicate' };
    if (event.type === 'STARTED' && s?.events.some((e) => e.type === 'STARTED')) {
      return { kind: 'dead_letter', reason: 'invalid', detail: `session ${event.session_id} already has a STARTED` };
    }
    const events = [...(s?.events ?? []), event];
    const offsets = [...(s?.offsets ?? []), Number(msg.offset)];
    const contact = contactOf(events);
    const filed = WINDOWS.schedule(ctx.state, event.session_id, contact.windowEnd, s ? s.filed : null);
    ctx.state.set(k, { events, offsets, windowEnd: contact.windowEnd, filed } satisfies OpenSession);
    // A provisional row as soon as the contact ended, so cs.contacts is fresh; the final row replaces it.
    if (event.type === 'ENDED' && contact.endedBy === 'ENDED' && contact.start) ctx.emit.row('contacts_local', contactRow(contact, contact.start, false));
    if (event.type === 'STARTED') {
      registerStart(ctx.state, event.user_id, event.product, event.session_id, event.event_time);
      // Counted at STARTED so the contacts figure is fresh; it never changes afterwards.
      const dims = dimsOf(event);
      ctx.emit.metric('contacts', event.event_time, dims, 1, 0);
      ctx.emit.metric('complaints_per_10k', event.event_time, dims, 0, 1);
      ctx.emit.metric('upheld_complaints_per_10k', event.event_time, dims, 0, 1);
    }
    return { kind: 'ok' };
  },

  earliestWindowEnd(state): number | null {
    const session = WINDOWS.earliest(state, (id, bucket) => {
      const s = state.get<SessionState>(key(id));
      return s && !isClosed(s) && s.filed === bucket ? s.windowEnd : null;
    });
    const decision = earliestDecision(state);
    return session === null ? decision : decision === null ? session : Math.min(session, decision);
  },

  closeWindows(ctx: StepContext): void {
    const streamHorizon = safeHorizon(ctx);
    const load = (id: string) => ctx.state.get<SessionState>(key(id));
    WINDOWS.takeDue(ctx.state, ctx.horizon, load, (s) => s.filed, (id, s) => {
      const k = key(id);
      if (isClosed(s)) {
        const expiry = tombstoneExpiry(s, ctx);
        if (expiry < streamHorizon) ctx.state.delete(k);
        else ctx.state.set(k, { ...s, filed: WINDOWS.schedule(ctx.state, id, expiry, null) });
        return;
      }
      if (s.windowEnd >= ctx.horizon) {
        ctx.state.set(k, { ...s, filed: WINDOWS.schedule(ctx.state, id, s.windowEnd, null) });
        return;
      }
      const contact = contactOf(s.events);
      emitClosed(ctx, contact, s);
      const closed: ClosedSession = { closed: true, started: contact.start !== null, windowEnd: contact.windowEnd, filed: 0 };
      closed.filed = WINDOWS.schedule(ctx.state, id, tombstoneExpiry(closed, ctx), null);
      ctx.state.set(k, closed);
    });
    decideDue(ctx, (p, resolved) => {
      ctx.emit.metric('fcr_rate', p.start, p.dims, Number(resolved), 1);
      if (p.selfService) ctx.emit.metric('self_service_resolution_rate', p.start, p.dims, Number(resolved), 1);
      ctx.emit.row('contacts_local', { ...p.row, fcr_state: resolved ? 'resolved' : 'not_resolved', version: 3 });
    });
  },
};

function deadLetterEvents(ctx: StepContext, s: OpenSession, events: SessionEvent[], reason: 'late' | 'orphan', detail: string): void {
  for (const event of events) deadLetterKept(ctx, 'cs.sessions', { event, offset: s.offsets[s.events.indexOf(event)] ?? -1 }, reason, detail);
}

function emitClosed(ctx: StepContext, c: Contact, s: OpenSession): void {
  if (!c.start) {
    deadLetterEvents(ctx, s, c.before, 'orphan', 'session has no STARTED');
    return;
  }
  deadLetterEvents(ctx, s, c.before, 'orphan', 'event before the session STARTED');
  deadLetterEvents(ctx, s, c.after, 'late', `event after the contact ended (${c.endedBy})`);
  const row = contactRow(c, c.start, true);
  ctx.emit.row('contacts_local', row);
  const start = c.start;
  awaitDecision(ctx, start.user_id, start.product, { session: start.session_id, start: start.event_time, end: c.end, selfService: row.self_service, dims: dimsOf(start), row });
  const m = (id: string, num: number | boolean) => ctx.emit.metric(id, start.event_time, dimsOf(start), Number(num), 1);
  m('self_service_share', row.self_service);
  if (row.self_service_entry) m('self_service_transfer_rate', row.transferred);
  if (row.online) m('online_aht_seconds', row.duration_seconds);
  if (start.channel === 'HOTLINE' && row.self_service_entry) {
    m('voicebot_recognition_coverage', row.questions_recognized > 0);
    if (row.questions_recognized > 0) m('voicebot_confirmation_rate', row.questions_confirmed > 0);
    m('voicebot_avg_turns', row.bot_turns);
  }
  if (row.prediction_shown) m('prediction_hit_rate', row.prediction_clicked);
}

/** The cs.contacts row of a contact: its derived facts (SPEC §5, §7). */
export function contactRow(c: Contact, start: SessionEvent, final: boolean) {
  const count = (type: SessionEvent['type']) => c.members.filter((e) => e.type === type).length;
  const selfServiceEntry = start.entry === 'SELF_SERVICE';
  const transferred = count('TRANSFERRED_TO_AGENT') > 0;
  return {
    session_id: start.session_id,
    user_id: start.user_id,
    business_unit: start.business_unit,
    product: start.product,
    channel: start.channel,
    entry: start.entry ?? '',
    // The last intent the contact carried (recognised questions refine the one given at STARTED).
    intent: c.members.reduce<string | null>((last, e) => e.intent ?? last, null),
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
    fcr_state: 'pending',
    final,
    version: final ? 2 : 1,
  };
}
