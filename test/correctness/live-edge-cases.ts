/**
 * Hand-made events that let a prefix of the correctness day exercise every live decision (SPEC §4
 * "Live, then exact"): the simulated day alone decides no FCR window and no outreach before its
 * evening. Merged by event time into the event set, so the early ones are the first events of
 * their partitions (never late) and the day's traffic moves their partitions' stream time past
 * their windows.
 */
import type { TopicEvent } from '@cs/producer';
import type { OutreachEvent, SessionEvent } from '@cs/schemas';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export function liveEdgeCases(dayStartUtc: number): TopicEvent[] {
  let n = 0;
  const id = () => `live-edge-${++n}`;
  const out: TopicEvent[] = [];
  const session = (session: string, user: string, type: SessionEvent['type'], t: number) =>
    out.push({ topic: 'cs.sessions', event: { event_id: id(), event_time: t, business_unit: 'live-edge', product: 'live-product', type, session_id: session, user_id: user, channel: 'WEB', entry: type === 'STARTED' ? 'SELF_SERVICE' : null, intent: null, agent_id: null } });
  const outreach = (user: string, type: OutreachEvent['type'], t: number) =>
    out.push({ topic: 'cs.outreach', event: { event_id: id(), event_time: t, business_unit: 'live-edge', product: 'live-product', type, outreach_id: type === 'CONTACTED' ? `${user}-o` : null, user_id: user, campaign: 'live-campaign', channel: 'APP' } });

  // The day before, 08:00 local: FCR-resolved once its partition's stream time passes
  // end + 24 h + lateness (the prefix's afternoon traffic does).
  session('live-fcr-yesterday', 'live-u1', 'STARTED', dayStartUtc - 16 * HOUR);
  session('live-fcr-yesterday', 'live-u1', 'ENDED', dayStartUtc - 16 * HOUR + 5 * 60_000);

  // 31 days before: no outcome, its 30-day window has elapsed on its partition's stream time.
  outreach('live-o-silent', 'CONTACTED', dayStartUtc - 31 * DAY);
  // The morning: decided by their outcomes at once.
  outreach('live-o-kept', 'CONTACTED', dayStartUtc + 9 * HOUR);
  outreach('live-o-kept', 'RETAINED', dayStartUtc + 10 * HOUR);
  outreach('live-o-lost', 'CONTACTED', dayStartUtc + 9 * HOUR);
  outreach('live-o-lost', 'CHURNED', dayStartUtc + 9.5 * HOUR);
  return out;
}
