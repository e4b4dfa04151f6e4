/**
 * The live KPIs of the `npm start` summary: their query runs on cs.metrics written by the real
 * processor from events sent through the real broker, and the figures are those of the events
 * (contacts, calls, a complaint) of the last full minute.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProcessor } from '@cs/processor';
import { formatKpis, kpiSql, type KpiRow } from '../../services/stack/src/kpis.ts';
import { produce } from '../correctness/run.ts';
import { call, complaint, contact, inTimeOrder } from '../support/live-events.ts';
import { createTopics, openTestStore, query, removeTestStore, startTestProcessor, uniquePrefix, waitFor, type TestStore } from '../support/pipeline.ts';

const TZ = 'Asia/Shanghai';
let store: TestStore;
let processor: RunningProcessor;

beforeAll(async () => {
  // Enough of the minute left to process the events before the next one makes it the last full one,
  // and that next minute on the same local day (else "today" is a new day without them).
  const nextMinute = () => Math.floor(Date.now() / 60_000) * 60_000 + 60_000;
  const localMidnight = (t: number) => new Intl.DateTimeFormat('en-GB', { timeZone: TZ, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(t) === '00:00';
  while (Date.now() % 60_000 > 30_000 || localMidnight(nextMinute())) await new Promise((r) => setTimeout(r, nextMinute() - Date.now() + 500));
  const minute = Math.floor(Date.now() / 60_000) * 60_000;
  const prefix = uniquePrefix('kpis');
  await createTopics(prefix, 1);
  store = await openTestStore(TZ);
  processor = await startTestProcessor(store, prefix, TZ, 'kafkajs');
  const at = minute + 2000;
  const events = [
    ...[10, 20, 30].flatMap((s) => contact('bu', 'APP', at, s)),
    ...contact('bu', 'APP', at, 40, ['TRANSFERRED_TO_AGENT']),
    ...[100, 200, 300].flatMap((s) => call('bu', at, { waitS: 5, handleS: s })),
    ...call('bu', at, 'abandoned'),
    complaint('bu', at + 3000),
  ];
  await produce(prefix, inTimeOrder(events));
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
  await removeTestStore(store);
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
