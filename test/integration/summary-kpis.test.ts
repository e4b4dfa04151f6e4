/**
 * The live KPIs of the `npm start` summary: their query runs on cs.metrics written by the real
 * processor from events sent through the real broker, and the figures are those of the events
 * (contacts, calls, a complaint) of the last full minute.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProcessor } from '@cs/processor';
import type { TopicEvent } from '@cs/producer';
import type { CallEvent, ComplaintEvent, SessionEvent } from '@cs/schemas';
import { formatKpis, kpiSql, type KpiRow } from '../../services/stack/src/kpis.ts';
import { produce } from '../correctness/run.ts';
import { createTopics, openTestStore, query, startTestProcessor, uniquePrefix, waitFor, type TestStore } from '../support/pipeline.ts';

const TZ = 'Asia/Shanghai';
let n = 0;
const base = (at: number) => ({ event_id: `e${++n}`, event_time: at, business_unit: 'bu', product: 'p' });

function contact(start: number, durationS: number, transferred: boolean): TopicEvent[] {
  const ids = { session_id: `s${++n}`, user_id: `u${n}`, channel: 'APP', intent: null, agent_id: null };
  const ev = (type: SessionEvent['type'], at: number, entry: SessionEvent['entry'] = null): TopicEvent => ({ topic: 'cs.sessions', event: { ...base(at), type, entry, ...ids } satisfies SessionEvent });
  return [ev('STARTED', start, 'SELF_SERVICE'), ...(transferred ? [ev('TRANSFERRED_TO_AGENT', start + 1000)] : []), ev('ENDED', start + durationS * 1000)];
}

function call(at: number, handleS: number | null): TopicEvent[] {
  const c = { call_id: `c${++n}`, session_id: null, user_id: `u${n}`, queue: 'q', agent_id: null, site_type: null, wait_ms: null, talk_ms: null, hold_ms: null, acw_ms: null };
  const ev = (type: CallEvent['type'], t: number, extra: Partial<CallEvent> = {}): TopicEvent => ({ topic: 'cs.calls', event: { ...base(t), type, ...c, ...extra } satisfies CallEvent });
  if (handleS === null) return [ev('OFFERED', at), ev('ABANDONED', at + 10_000, { wait_ms: 10_000 })];
  return [ev('OFFERED', at), ev('ANSWERED', at + 5000, { agent_id: 'a', site_type: 'IN_HOUSE', wait_ms: 5000 }), ev('ENDED', at + 5000 + handleS * 1000, { agent_id: 'a', talk_ms: handleS * 1000, hold_ms: 0, acw_ms: 0 })];
}

let store: TestStore;
let processor: RunningProcessor;

beforeAll(async () => {
  // Enough of the next minute left to process the events before it becomes the last full one.
  if (Date.now() % 60_000 > 30_000) await new Promise((r) => setTimeout(r, 60_000 - (Date.now() % 60_000) + 500));
  const minute = Math.floor(Date.now() / 60_000) * 60_000;
  const prefix = uniquePrefix('kpis');
  await createTopics(prefix, 1);
  store = await openTestStore(TZ);
  processor = await startTestProcessor(store, prefix, TZ, 'kafkajs');
  const at = minute + 2000;
  const complaint: TopicEvent = {
    topic: 'cs.complaints',
    event: { ...base(at + 3000), type: 'FILED', complaint_id: 'k1', user_id: 'u0', contact_id: null, channel: 'APP', category: 'billing', external: false } satisfies ComplaintEvent,
  };
  const events = [...contact(at, 10, false), ...contact(at, 20, false), ...contact(at, 30, false), ...contact(at, 40, true), ...call(at, 100), ...call(at, 200), ...call(at, 300), ...call(at, null), complaint];
  await produce(prefix, events.sort((a, b) => a.event.event_time - b.event.event_time));
  await waitFor(
    'the minute of the events to be the last full one, with their figures',
    async () => {
      const rows = await query<{ n: string }>(store.client, `SELECT count() AS n FROM cs.metrics WHERE grain = 'minute' AND metric = 'human_aht_seconds' AND denominator = 3`);
      return Number(rows[0]!.n) === 1 && Date.now() >= minute + 60_000;
    },
    90_000,
    500,
  );
}, 180_000);

afterAll(async () => {
  await processor?.stop();
  await store?.client.close();
  if (store) rmSync(store.dataDir, { recursive: true, force: true });
});

describe('summary KPIs on live figures', () => {
  it('the query runs and gives the last full minute and today of the events', async () => {
    const rows = await query<KpiRow>(store.client, kpiSql('cs'));
    const lines = formatKpis(rows);
    // 3 of 4 ended contacts self-served; 25 s online; 3 of 4 calls answered, 200 s; 1 complaint on 4 contacts.
    const figures = lines.slice(1).map((l) => l.slice(36).split(/\s{2,}/).map((x) => x.trim()));
    expect(figures, lines.join('\n')).toEqual([
      ['75.0 %', '75.0 %'],
      ['25 s', '25 s'],
      ['200 s', '200 s'],
      ['75.0 %', '75.0 %'],
      ['2500.0', '2500.0'],
    ]);
    expect(lines[0]).toMatch(/minute \d\d:\d\d/);
  });
});
