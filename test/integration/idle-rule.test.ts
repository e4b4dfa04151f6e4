/**
 * SPEC §4's idle rule with a sparse topic caught up while a busy one lags (issue 9: agents of a clean
 * simulated day were dead-lettered `late`): cs.agents has a few events and is idle long before the
 * processor works through a cs.sessions backlog. An idle partition may only advance to the
 * pipeline-wide stream time, so agent events produced later for the same day are on time, and the
 * staffed hours are exact.
 */
import { describe, expect, it } from 'vitest';
import { createAdmin } from '@cs/kafka';
import type { AgentEvent, SessionEvent } from '@cs/schemas';
import { tablesIn } from '@cs/storage';
import { produce } from '../correctness/run.ts';
import type { TopicEvent } from '../correctness/event-set.ts';
import { createTopics, kafkaOptions, openTestStore, query, startTestProcessor, uniquePrefix, waitFor } from '../support/pipeline.ts';

const cs = tablesIn('cs');
const TZ = 'UTC';
const DAY = Date.parse('2026-04-07T00:00:00Z');
const HOUR = 3_600_000;
const CONTACTS = 60_000;

const agent = (id: string, type: AgentEvent['type'], at: number): TopicEvent => ({
  topic: 'cs.agents',
  event: { event_id: `${id}-${type}-${at}`, event_time: at, business_unit: 'cards', product: 'all', type, agent_id: id, site_type: 'IN_HOUSE' },
});

function sessions(contacts: number): TopicEvent[] {
  const out: TopicEvent[] = [];
  for (let i = 0; i < contacts; i++) {
    const t = DAY + Math.floor((i / contacts) * 12 * HOUR);
    const base = { business_unit: 'cards', product: 'p', session_id: `s${i}`, user_id: `u${i}`, channel: 'APP', intent: null, agent_id: null };
    out.push({ topic: 'cs.sessions', event: { ...base, event_id: `s${i}-a`, event_time: t, type: 'STARTED', entry: 'SELF_SERVICE' } satisfies SessionEvent });
    out.push({ topic: 'cs.sessions', event: { ...base, event_id: `s${i}-b`, event_time: t + 60_000, type: 'ENDED', entry: null } satisfies SessionEvent });
  }
  return out;
}

describe('the idle rule', () => {
  it('a sparse topic caught up and idle while a busy one lags advances only to the pipeline-wide stream time', async () => {
    const prefix = uniquePrefix('idle-rule');
    await createTopics(prefix, 2);
    const agents = ['a1', 'a2', 'a3', 'a4'];
    // Logged in at 01:00, before the backlog; logged out at 09:00, produced only once the agents
    // partitions have been idle a while and the sessions backlog is still being worked through.
    await produce(prefix, [...agents.map((a) => agent(a, 'LOGGED_IN', DAY + HOUR)), ...sessions(CONTACTS)]);
    const store = await openTestStore(TZ);
    // Small flushes: the backlog takes many seconds; a 2 s idle flush fires on the agents partitions meanwhile.
    const processor = await startTestProcessor(store, prefix, TZ, 'kafkajs', { PROCESSOR_FLUSH_MAX_MESSAGES: '200', CS_IDLE_FLUSH: '2s' });
    const admin = createAdmin(kafkaOptions());
    await admin.connect();
    try {
      const lag = async (topic: string) => (await admin.lag(`${prefix}processor`, [prefix + topic])).reduce((s, p) => s + p.lag, 0);
      // The agents partitions caught up and idle-flushed (advanced) while the sessions backlog is being worked through.
      await waitFor(
        'an idle flush of the agents partitions',
        async () => {
          const [row] = await query<{ n: string }>(store.client, `SELECT count() AS n FROM ${cs.processorLog} WHERE topic = '${prefix}cs.agents' AND kind = 'done' AND idle`);
          return Number(row?.n) > 0;
        },
        60_000,
        100,
      );
      const behind = await lag('cs.sessions');
      expect(behind, 'the sessions backlog must still lag for this test to mean anything').toBeGreaterThan(0);
      await produce(prefix, agents.map((a) => agent(a, 'LOGGED_OUT', DAY + 9 * HOUR)));
      await waitFor(
        'every event processed and the day settled',
        async () => {
          const [row] = await query<{ n: string }>(store.client, `SELECT count() AS n FROM ${cs.contacts} WHERE final`);
          return Number(row?.n) === CONTACTS && (await lag('cs.agents')) === 0 && (await lag('cs.sessions')) === 0;
        },
        150_000,
        500,
      );
      const dead = await query<{ topic: string; reason: string; n: string }>(store.client, `SELECT topic, reason, count() AS n FROM ${cs.deadLetters} FINAL GROUP BY topic, reason`);
      expect(dead).toEqual([]);
      const [hours] = await query<{ n: number }>(store.client, `SELECT sum(numerator) AS n FROM ${cs.metrics} WHERE grain = 'day' AND metric = 'staffed_hours'`);
      expect(hours?.n).toBeCloseTo(4 * 8, 9);
    } finally {
      await admin.disconnect();
      await processor.stop();
      await store.client.close();
    }
  });
});
