/**
 * Hand-made events for the edges SPEC §4–§6 care about, on top of simulated traffic: contacts
 * across midnight in Asia/Shanghai, repeat contacts exactly at the FCR window edge and 1 ms after,
 * contacts without ENDED, outreach outcomes on day 29/30/31 and at the window's last instant,
 * an agent logged in across midnight, a complaint upheld twice.
 */
import type { TopicEvent } from '@cs/producer';
import type { AgentEvent, ComplaintEvent, OutreachEvent, SessionEvent } from '@cs/schemas';

const DAY = 86_400_000;
const MIN = 60_000;

export function edgeCases(dayStartUtc: number, fcrWindowMs: number, retentionWindowMs: number): TopicEvent[] {
  let n = 0;
  const id = () => `edge-${++n}`;
  const out: TopicEvent[] = [];
  const session = (session: string, user: string, type: SessionEvent['type'], t: number, extra: Partial<SessionEvent> = {}) =>
    out.push({ topic: 'cs.sessions', event: { event_id: id(), event_time: t, business_unit: 'edge', product: 'edge-product', type, session_id: session, user_id: user, channel: 'APP', entry: type === 'STARTED' ? 'SELF_SERVICE' : null, intent: null, agent_id: null, ...extra } });
  const local = (hours: number) => dayStartUtc + hours * 3_600_000; // dayStartUtc is local midnight

  // Across local midnight: 23:55 → 00:10 next day (attributed to the start day).
  session('edge-midnight', 'edge-u1', 'STARTED', local(23 + 55 / 60));
  session('edge-midnight', 'edge-u1', 'BOT_TURN', local(24));
  session('edge-midnight', 'edge-u1', 'ENDED', local(24 + 10 / 60));

  // FCR edge: A ends at 08:05; B starts exactly at A.end + window (not resolved); C/D: 1 ms after (resolved).
  session('edge-fcr-a', 'edge-u2', 'STARTED', local(8));
  session('edge-fcr-a', 'edge-u2', 'ENDED', local(8) + 5 * MIN);
  session('edge-fcr-b', 'edge-u2', 'STARTED', local(8) + 5 * MIN + fcrWindowMs, { channel: 'WEB' });
  session('edge-fcr-b', 'edge-u2', 'ENDED', local(8) + 9 * MIN + fcrWindowMs, { channel: 'WEB' });
  session('edge-fcr-c', 'edge-u3', 'STARTED', local(9));
  session('edge-fcr-c', 'edge-u3', 'ENDED', local(9) + 5 * MIN);
  session('edge-fcr-d', 'edge-u3', 'STARTED', local(9) + 5 * MIN + fcrWindowMs + 1);
  session('edge-fcr-d', 'edge-u3', 'ENDED', local(9) + 6 * MIN + fcrWindowMs);

  // Without ENDED: closed by inactivity.
  session('edge-open', 'edge-u4', 'STARTED', local(10), { channel: 'HOTLINE' });
  session('edge-open', 'edge-u4', 'BOT_TURN', local(10) + 20_000, { channel: 'HOTLINE' });
  session('edge-open', 'edge-u4', 'QUESTION_RECOGNIZED', local(10) + 40_000, { channel: 'HOTLINE' });

  // Outreach: outcomes on day 29, 30 (last instant of the window), 31, and none.
  const contacted = local(11);
  const outreach = (user: string, type: OutreachEvent['type'], t: number, outreachId: string | null) =>
    out.push({ topic: 'cs.outreach', event: { event_id: id(), event_time: t, business_unit: 'edge', product: 'edge-product', type, outreach_id: outreachId, user_id: user, campaign: 'edge-campaign', channel: 'HOTLINE' } });
  outreach('edge-o29', 'CONTACTED', contacted, 'edge-o29');
  outreach('edge-o29', 'RETAINED', contacted + 29 * DAY, null);
  outreach('edge-o30', 'CONTACTED', contacted, 'edge-o30');
  outreach('edge-o30', 'RETAINED', contacted + retentionWindowMs, null);
  outreach('edge-o31', 'CONTACTED', contacted, 'edge-o31');
  outreach('edge-o31', 'RETAINED', contacted + 31 * DAY, null);
  outreach('edge-ochurn', 'CONTACTED', contacted, 'edge-ochurn');
  outreach('edge-ochurn', 'CHURNED', contacted + 3 * DAY, null);
  outreach('edge-onone', 'CONTACTED', contacted, 'edge-onone');

  // Agent across local midnight: 21:30 → 01:30 (2.5 h + 1.5 h).
  const agent = (type: AgentEvent['type'], t: number) =>
    out.push({ topic: 'cs.agents', event: { event_id: id(), event_time: t, business_unit: 'edge', product: 'all', type, agent_id: 'edge-agent', site_type: 'OUTSOURCED' } });
  agent('LOGGED_IN', local(21.5));
  agent('LOGGED_OUT', local(25.5));

  // A complaint upheld twice counts once.
  const complaint = (type: ComplaintEvent['type'], t: number) =>
    out.push({ topic: 'cs.complaints', event: { event_id: id(), event_time: t, business_unit: 'edge', product: 'edge-product', type, complaint_id: 'edge-c1', user_id: 'edge-u1', contact_id: 'edge-midnight', channel: 'APP', category: 'fees', external: false } });
  complaint('FILED', local(12));
  complaint('UPHELD', local(15));
  complaint('UPHELD', local(16));
  return out;
}
