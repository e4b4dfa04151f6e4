import { fieldSpecs, parseEvent, topicSchemas, TOPICS, type Topic } from '@cs/schemas';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTrafficGenerator, generateTraffic, type TopicEvent } from '../src/generator.ts';
import { DAY0, DAY_MS, collect, digest } from './helpers.ts';

const OPTS = { seed: 42, start: DAY0, end: DAY0 + DAY_MS, contactsPerDay: 20_000, timeZone: 'Asia/Shanghai' };

describe('determinism', () => {
  it('same seed and options give the identical stream', () => {
    const a = digest(generateTraffic(OPTS));
    const b = digest(generateTraffic(OPTS));
    expect(a).toBe(b);
  });

  it('a different seed gives different traffic, a different window different ids', () => {
    const a = collect({ ...OPTS, end: DAY0 + 3_600_000 });
    const b = collect({ ...OPTS, seed: 43, end: DAY0 + 3_600_000 });
    expect(digest(a)).not.toBe(digest(b));
    const c = collect({ ...OPTS, start: DAY0 + DAY_MS, end: DAY0 + DAY_MS + 3_600_000 });
    const ids = new Set(a.map((e) => e.event.event_id));
    expect(c.some((e) => ids.has(e.event.event_id))).toBe(false);
  });

  it('ids are stable per seed: s-<seed>-<window>-<n>', () => {
    const first = collect({ ...OPTS, end: DAY0 + 600_000 }).find((e) => e.topic === 'cs.sessions')!;
    expect(first.event.event_id).toMatch(/^e-42-[0-9a-z]+-\d+$/);
    expect((first.event as { session_id: string }).session_id).toMatch(/^s-42-[0-9a-z]+-\d+$/);
    expect(collect({ ...OPTS, end: DAY0 + 600_000, idPrefix: 'x' })[0]!.event.event_id).toMatch(/^e-x-\d+$/);
  });
});

describe('one day of traffic', () => {
  let events: TopicEvent[];
  beforeAll(() => {
    events = collect(OPTS);
  });

  it('covers all seven topics', () => {
    const topics = new Set(events.map((e) => e.topic));
    expect([...topics].sort()).toEqual([...TOPICS].sort());
  });

  it('is in non-decreasing event_time order, inside [start, end)', () => {
    let prev = -Infinity;
    let bad = 0;
    for (const { event } of events) {
      if (event.event_time < prev) bad++;
      prev = event.event_time;
    }
    expect(bad).toBe(0);
    expect(events[0]!.event.event_time).toBeGreaterThanOrEqual(OPTS.start);
    expect(events.at(-1)!.event.event_time).toBeLessThan(OPTS.end);
  });

  it('has unique event_ids', () => {
    expect(new Set(events.map((e) => e.event.event_id)).size).toBe(events.length);
  });

  it('every event passes parseEvent and carries every schema field (optionals as null, never omitted)', () => {
    const names = new Map<Topic, string[]>(TOPICS.map((t) => [t, fieldSpecs(topicSchemas(t).latest.schema).map((f) => f.name).sort()]));
    const failures: string[] = [];
    for (const { topic, event } of events) {
      const r = parseEvent(topic, event);
      if (!r.ok) failures.push(`${topic} ${event.event_id}: ${JSON.stringify(r.issues)}`);
      else if (JSON.stringify(Object.keys(event).sort()) !== JSON.stringify(names.get(topic))) failures.push(`${topic} ${event.event_id}: fields ${Object.keys(event).join(',')}`);
      if (!event.business_unit || !event.product) failures.push(`${topic} ${event.event_id}: no business_unit/product`);
      if (failures.length > 5) break;
    }
    expect(failures).toEqual([]);
  });

  it('is internally consistent (sessions, calls, agents, surveys, complaints, outreach, QA)', () => {
    const problems: string[] = [];
    const bad = (what: string) => problems.length < 10 && problems.push(what);
    const sessions = new Map<string, { user: string; channel: string; bu: string; product: string; last: number; ended: boolean; entry: string; transferred: boolean; agents: Set<string> }>();
    const calls = new Map<string, { state: 'offered' | 'answered' | 'abandoned' | 'ended'; agent: string | null; session: string | null }>();
    const loggedIn = new Map<string, string>(); // agent → site
    const complaints = new Set<string>();
    const contactedUsers = new Set<string>();
    const answeredContacts = new Map<string, Set<string>>(); // session → agents that answered its calls
    const surveys: Array<{ contact: string; handledBy: string }> = [];
    for (const { topic, event: e } of events) {
      switch (topic) {
        case 'cs.sessions': {
          const ev = e as Extract<TopicEvent, { topic: 'cs.sessions' }>['event'];
          const s = sessions.get(ev.session_id);
          if (ev.type === 'STARTED') {
            if (s) bad(`session ${ev.session_id} started twice`);
            if (ev.entry === null) bad(`STARTED without entry`);
            sessions.set(ev.session_id, { user: ev.user_id, channel: ev.channel, bu: ev.business_unit, product: ev.product, last: ev.event_time, ended: false, entry: ev.entry!, transferred: false, agents: new Set() });
            break;
          }
          if (!s) {
            bad(`${ev.type} before STARTED in ${ev.session_id}`);
            break;
          }
          if (s.ended) bad(`${ev.type} after ENDED in ${ev.session_id}`);
          if (s.user !== ev.user_id || s.channel !== ev.channel || s.bu !== ev.business_unit || s.product !== ev.product) bad(`dimensions change in ${ev.session_id}`);
          if (ev.event_time - s.last >= 30 * 60_000) bad(`30-min gap inside ${ev.session_id}`);
          if (ev.entry !== null) bad('entry set outside STARTED');
          s.last = ev.event_time;
          if (ev.type === 'ENDED') s.ended = true;
          if (ev.type === 'TRANSFERRED_TO_AGENT') {
            if (s.entry !== 'SELF_SERVICE') bad('human-entry contact transferred');
            s.transferred = true;
          }
          if (ev.type === 'AGENT_JOINED') {
            if (!ev.agent_id || !loggedIn.has(ev.agent_id)) bad(`AGENT_JOINED by ${ev.agent_id} who is not logged in`);
            if (s.entry === 'SELF_SERVICE' && !s.transferred) bad('agent joined a self-service contact without transfer');
          }
          break;
        }
        case 'cs.calls': {
          const ev = e as Extract<TopicEvent, { topic: 'cs.calls' }>['event'];
          const c = calls.get(ev.call_id);
          if (ev.type === 'OFFERED') {
            if (c) bad(`call ${ev.call_id} offered twice`);
            const s = ev.session_id ? sessions.get(ev.session_id) : undefined;
            if (!s || s.channel !== 'HOTLINE' || s.user !== ev.user_id) bad(`call ${ev.call_id} without its HOTLINE session`);
            calls.set(ev.call_id, { state: 'offered', agent: null, session: ev.session_id });
            break;
          }
          if (!c) {
            bad(`${ev.type} before OFFERED`);
            break;
          }
          if (ev.type === 'ANSWERED') {
            if (c.state !== 'offered') bad(`ANSWERED in state ${c.state}`);
            if (!ev.agent_id || loggedIn.get(ev.agent_id) !== ev.site_type) bad(`call answered by ${ev.agent_id} (${ev.site_type}) not logged in`);
            if (ev.wait_ms === null || ev.wait_ms < 0) bad('ANSWERED without wait');
            c.state = 'answered';
            c.agent = ev.agent_id;
            const set = answeredContacts.get(c.session!) ?? new Set<string>();
            set.add(ev.agent_id!);
            answeredContacts.set(c.session!, set);
          } else if (ev.type === 'ABANDONED') {
            if (c.state !== 'offered') bad(`ABANDONED in state ${c.state}`);
            c.state = 'abandoned';
          } else if (ev.type === 'ENDED') {
            if (c.state !== 'answered') bad(`call ENDED in state ${c.state}`);
            if (ev.agent_id !== c.agent) bad('call ENDED by another agent');
            c.state = 'ended';
          }
          break;
        }
        case 'cs.agents': {
          const ev = e as Extract<TopicEvent, { topic: 'cs.agents' }>['event'];
          if (ev.type === 'LOGGED_IN') {
            if (loggedIn.has(ev.agent_id)) bad(`${ev.agent_id} logged in twice`);
            loggedIn.set(ev.agent_id, ev.site_type);
          } else {
            if (!loggedIn.has(ev.agent_id)) bad(`${ev.agent_id} logged out while not logged in`);
            loggedIn.delete(ev.agent_id);
          }
          break;
        }
        case 'cs.surveys': {
          const ev = e as Extract<TopicEvent, { topic: 'cs.surveys' }>['event'];
          const s = sessions.get(ev.contact_id);
          if (!s || s.user !== ev.user_id || s.channel !== ev.channel) bad(`survey for unknown contact ${ev.contact_id}`);
          surveys.push({ contact: ev.contact_id, handledBy: ev.handled_by });
          break;
        }
        case 'cs.complaints': {
          const ev = e as Extract<TopicEvent, { topic: 'cs.complaints' }>['event'];
          if (ev.type === 'FILED') complaints.add(ev.complaint_id);
          else if (!complaints.has(ev.complaint_id)) bad(`${ev.type} before FILED`);
          if (ev.contact_id !== null && !sessions.has(ev.contact_id)) bad('complaint about unknown contact');
          break;
        }
        case 'cs.outreach': {
          const ev = e as Extract<TopicEvent, { topic: 'cs.outreach' }>['event'];
          if (ev.type === 'CONTACTED') {
            if (!ev.outreach_id) bad('CONTACTED without outreach_id');
            contactedUsers.add(ev.user_id);
          } else if (!contactedUsers.has(ev.user_id)) bad('outcome without outreach');
          break;
        }
        case 'cs.qa': {
          const ev = e as Extract<TopicEvent, { topic: 'cs.qa' }>['event'];
          if (!answeredContacts.get(ev.contact_id)?.has(ev.agent_id)) bad(`QA review of ${ev.contact_id} by an agent who did not answer it`);
          if (ev.passed !== ev.score >= 80 || ev.channel !== 'HOTLINE') bad('QA passed/channel inconsistent');
          break;
        }
      }
    }
    for (const { contact, handledBy } of surveys) {
      const s = sessions.get(contact)!;
      const human = s.entry === 'HUMAN' || s.transferred;
      if ((handledBy === 'HUMAN') !== human) bad(`survey handled_by ${handledBy} for a ${human ? 'human' : 'self-service'} contact`);
    }
    expect(problems).toEqual([]);
    const noEnded = [...sessions.values()].filter((s) => !s.ended).length / sessions.size;
    expect(noEnded).toBeGreaterThan(0.03);
    expect(noEnded).toBeLessThan(0.08);
  });
});

describe('window', () => {
  it('agents on shift at start log in at start; nothing is emitted before start', () => {
    const start = DAY0 + 3 * 3_600_000 + 123;
    const events = collect({ seed: 1, start, end: start + 3_600_000, contactsPerDay: 20_000 });
    expect(events[0]!.event.event_time).toBe(start);
    const atStart = events.filter((e) => e.event.event_time === start);
    expect(atStart.length).toBeGreaterThan(5);
    expect(atStart.every((e) => e.topic === 'cs.agents' && e.event.type === 'LOGGED_IN')).toBe(true);
  });

  it('an empty window yields nothing', () => {
    expect(collect({ seed: 1, start: DAY0, end: DAY0 })).toEqual([]);
  });

  it('endless streams (live) can be consumed lazily', () => {
    const it = createTrafficGenerator({ seed: 1, start: DAY0, end: Infinity, contactsPerDay: 10_000 })[Symbol.iterator]();
    for (let i = 0; i < 1000; i++) expect(it.next().done).toBe(false);
  });
});
