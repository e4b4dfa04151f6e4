/**
 * The forecaster on the real ClickHouse engine, with a history loaded the two ways a deployment gets
 * one: the last day and a half through the real broker and processor (so cs.metrics carries human
 * AHT and staffed hours), and the six weeks before it straight into the raw tables (contacts STARTED,
 * every call event) as a backfill of older data would. Then one cycle as of 2025-11-12 10:05
 * (Asia/Shanghai): forecasts, runs, backfilled forecasts, accuracy in cs.metrics, staffing — and a
 * business unit with three days of history that falls back to the baseline, visibly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertRows } from '@cs/clickhouse';
import { Forecaster, loadForecasterConfig, plannersCalendar, startForecaster, type CycleSummary } from '@cs/forecaster';
import { createTrafficGenerator, defaultCalendar } from '@cs/simulator';
import { loadSimulatedDays, type LoadedStore } from '../support/loaded-store.ts';
import { logger, query } from '../support/pipeline.ts';

const TZ = 'Asia/Shanghai';
const HOUR = 3_600_000;
/** 2025-11-11 00:00 and 2025-11-12 10:05 in Asia/Shanghai. */
const PIPELINE_FROM = Date.UTC(2025, 10, 10, 16);
const NOW = Date.UTC(2025, 10, 12, 2, 5);
const DIRECT_FROM = PIPELINE_FROM - 43 * 24 * HOUR; // 2025-09-29 00:00
const CONTACTS_PER_DAY = 8_000;

let store: LoadedStore;
let forecaster: Forecaster;
let cycle: CycleSummary;
const env = { CS_TIMEZONE: TZ, CS_FORECAST_BACKFILL_DAYS: '2', CS_FORECAST_HISTORY_DAYS: '56', CS_FORECAST_SCHEDULE: 'false', FORECASTER_HTTP_PORT: '0' };

async function insertDirect(db: string, from: number, to: number, opts: { seed: number; contactsPerDay: number; onlyBusinessUnit?: string }): Promise<void> {
  const sessions: Record<string, unknown>[] = [];
  const calls: Record<string, unknown>[] = [];
  let offset = 0;
  for (const { topic, event } of createTrafficGenerator({ seed: opts.seed, start: from, end: to, contactsPerDay: opts.contactsPerDay, timeZone: TZ, products: 20 })) {
    const row: Record<string, unknown> = { ...event, kafka_partition: 0, kafka_offset: offset++ };
    if (opts.onlyBusinessUnit) {
      row['business_unit'] = opts.onlyBusinessUnit;
      if (typeof row['queue'] === 'string') row['queue'] = (row['queue'] as string).replace(/^[^.]+/, opts.onlyBusinessUnit);
    }
    if (topic === 'cs.sessions' && event.type === 'STARTED') sessions.push(row);
    else if (topic === 'cs.calls') calls.push(row);
  }
  for (let i = 0; i < sessions.length; i += 50_000) await insertRows(store.client, `${db}.raw_sessions`, sessions.slice(i, i + 50_000));
  for (let i = 0; i < calls.length; i += 50_000) await insertRows(store.client, `${db}.raw_calls`, calls.slice(i, i + 50_000));
}

beforeAll(async () => {
  store = await loadSimulatedDays({ timeZone: TZ, start: PIPELINE_FROM, days: (NOW - PIPELINE_FROM - 5 * 60_000) / (24 * HOUR), contactsPerDay: CONTACTS_PER_DAY });
  await insertDirect(store.db, DIRECT_FROM, PIPELINE_FROM, { seed: 5, contactsPerDay: CONTACTS_PER_DAY });
  // A business unit launched three days ago, with a few hundred contacts a day.
  await insertDirect(store.db, NOW - 3 * 24 * HOUR, NOW - 10 * 60_000, { seed: 6, contactsPerDay: 2_000, onlyBusinessUnit: 'newbiz' });
  forecaster = new Forecaster({ client: store.client, db: store.db, config: loadForecasterConfig(env), logger });
  // The planners' calendar (National Day, payday, the card campaign, Double 11 …) and a campaign on Friday.
  await forecaster.store.writeEvents(plannersCalendar(defaultCalendar(2025, 2025)));
  await forecaster.store.writeEvents([{ name: 'card anniversary sale', kind: 'campaign', starts: '2025-11-14', ends: '2025-11-14', businessUnit: 'cards', channel: 'APP', uplift: 2 }]);
  cycle = await forecaster.cycle(NOW);
}, 600_000);

afterAll(async () => {
  await store?.client.close();
});

describe('a forecasting cycle on a replayed history', () => {
  it('issues the nightly run for every series from the first open slot, 14 days ahead, with the baseline beside it', async () => {
    const nightly = cycle.runs.find((r) => r.run === 'nightly')!;
    expect(nightly.origin).toEqual({ date: '2025-11-12', slot: 20 });
    const runs = await query<{ kind: string; n: string }>(store.client, `SELECT kind, count() AS n FROM ${store.db}.forecast_runs WHERE run = 'nightly' GROUP BY kind ORDER BY kind`);
    expect(runs.map((r) => [r.kind, Number(r.n)])).toEqual([
      ['calls', 24], // 7 units × 3 queues + newbiz's 3 queues
      ['contacts', 24], // 7 units × 3 channels + newbiz's 3 channels
    ]);
    const rows = await query<{ role: string; model: string; n: string; first: string; last: string; bad: string }>(
      store.client,
      `SELECT role, model, count() AS n, toString(min(interval)) AS first, toString(max(interval)) AS last, countIf(NOT (lower <= point AND point <= upper)) AS bad
       FROM ${store.db}.forecasts WHERE run = 'nightly' AND kind = 'contacts' AND business_unit = 'cards' AND segment = 'APP' GROUP BY role, model ORDER BY role`,
    );
    expect(rows.map((r) => ({ ...r, n: Number(r.n), bad: Number(r.bad) }))).toEqual([
      { role: 'baseline', model: 'seasonal_naive', n: 14 * 48 - 20, first: '2025-11-12 10:00:00', last: '2025-11-25 23:30:00', bad: 0 },
      { role: 'primary', model: 'mstl_ets', n: 14 * 48 - 20, first: '2025-11-12 10:00:00', last: '2025-11-25 23:30:00', bad: 0 },
    ]);
  });

  it('a series with too little history says so and falls back to the baseline, in the model column', async () => {
    const runs = await query<{ model: string; status: string; reason: string }>(store.client, `SELECT model, status, reason FROM ${store.db}.forecast_runs WHERE run = 'nightly' AND business_unit = 'newbiz' AND kind = 'contacts' AND segment = 'APP'`);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ model: 'seasonal_naive_daily', status: 'fallback' });
    expect(runs[0]!.reason).toBe('too little history for mstl_ets: 3.0 days < 21 required; issued seasonal_naive_daily');
    const forecasts = await query<{ model: string; note: string }>(store.client, `SELECT DISTINCT model, note FROM ${store.db}.forecasts WHERE run = 'nightly' AND business_unit = 'newbiz' AND segment = 'APP' AND role = 'primary'`);
    expect(forecasts).toEqual([{ model: 'seasonal_naive_daily', note: runs[0]!.reason }]);
  });

  it('uses the event calendar: a campaign the day after tomorrow doubles cards/APP, other series stay usual', async () => {
    const ratio = async (bu: string) => {
      const [r] = await query<{ ratio: number }>(
        store.client,
        `SELECT sumIf(point, role = 'primary') / sumIf(point, role = 'baseline') AS ratio FROM ${store.db}.forecasts
         WHERE run = 'nightly' AND kind = 'contacts' AND business_unit = '${bu}' AND segment = 'APP' AND toDate(interval) = '2025-11-14'`,
      );
      return Number(r!.ratio);
    };
    expect(await ratio('cards')).toBeGreaterThan(1.7);
    expect(await ratio('cards')).toBeLessThan(2.3);
    expect(await ratio('deposits')).toBeGreaterThan(0.85);
    expect(await ratio('deposits')).toBeLessThan(1.15);
  });

  it('backfills forecasts as of the recent midnights, and scores them into cs.metrics (forecast_accuracy_daily, forecast_wape_interval)', async () => {
    const backfills = await query<{ origin: string }>(store.client, `SELECT DISTINCT toString(origin) AS origin FROM ${store.db}.forecast_runs WHERE run = 'backfill' ORDER BY origin`);
    expect(backfills.map((r) => r.origin)).toEqual(['2025-11-04', '2025-11-05', '2025-11-06', '2025-11-07', '2025-11-08', '2025-11-09', '2025-11-10', '2025-11-11'].map((d) => `${d} 00:00:00`));
    const metrics = await query<{ metric: string; product: string; days: string; min: number; max: number }>(
      store.client,
      `SELECT metric, product, uniqExact(bucket) AS days, min(value) AS min, max(value) AS max FROM ${store.db}.metrics
       WHERE grain = 'day' AND metric IN ('forecast_accuracy_daily', 'forecast_wape_interval') AND business_unit = 'cards' GROUP BY metric, product ORDER BY metric, product`,
    );
    expect(metrics.map((m) => [m.metric, m.product, Number(m.days)])).toEqual([
      ['forecast_accuracy_daily', 'h1d', 8],
      ['forecast_accuracy_daily', 'h1d_baseline', 8],
      ['forecast_accuracy_daily', 'h7d', 2],
      ['forecast_accuracy_daily', 'h7d_baseline', 2],
      ['forecast_wape_interval', 'h1d', 8],
      ['forecast_wape_interval', 'h1d_baseline', 8],
      ['forecast_wape_interval', 'h7d', 2],
      ['forecast_wape_interval', 'h7d_baseline', 2],
    ]);
    for (const m of metrics) {
      expect(m.min).toBeGreaterThan(m.metric === 'forecast_accuracy_daily' ? 0.5 : 0);
      expect(m.max).toBeLessThanOrEqual(m.metric === 'forecast_accuracy_daily' ? 1 : 0.6);
    }
    // The model beats the baseline on these days too (Double 11 among them).
    const [cmp] = await query<{ model: number; baseline: number }>(
      store.client,
      `SELECT sumIf(numerator, product = 'h1d') / sumIf(denominator, product = 'h1d') AS model,
              sumIf(numerator, product = 'h1d_baseline') / sumIf(denominator, product = 'h1d_baseline') AS baseline
       FROM ${store.db}.metrics WHERE grain = 'day' AND metric = 'forecast_accuracy_daily'`,
    );
    expect(cmp!.model).toBeGreaterThan(cmp!.baseline);
    expect(cycle.accuracyRows).toBeGreaterThan(0);
  });

  it('scores exactly 1 − |ΣF − ΣA| / ΣA and Σ|F − A| / ΣA, recomputed here from cs.forecasts and the raw events', async () => {
    // Double 11, cards/APP, the forecast issued as of that midnight (1 day ahead), by plain SQL.
    const [expected] = await query<{ accuracy: number; wape: number }>(
      store.client,
      `WITH f AS (SELECT interval, point FROM ${store.db}.forecasts WHERE run = 'backfill' AND role = 'primary' AND kind = 'contacts'
                  AND business_unit = 'cards' AND segment = 'APP' AND origin = toDateTime('2025-11-11 00:00:00', '${TZ}') AND toDate(interval) = '2025-11-11'),
            a AS (SELECT toStartOfInterval(event_time, INTERVAL 30 MINUTE) AS interval, count() AS n FROM ${store.db}.raw_sessions
                  WHERE type = 'STARTED' AND business_unit = 'cards' AND channel = 'APP' AND toDate(event_time) = '2025-11-11' GROUP BY interval)
       SELECT 1 - abs(sum(f.point) - sum(a.n)) / sum(a.n) AS accuracy, sum(abs(f.point - a.n)) / sum(a.n) AS wape
       FROM f FULL OUTER JOIN a ON toDateTime(f.interval) = toDateTime(a.interval)`,
    );
    const got = await query<{ metric: string; value: number; final: boolean }>(
      store.client,
      `SELECT metric, value, final FROM ${store.db}.metrics WHERE grain = 'day' AND bucket = toDateTime('2025-11-11 00:00:00', '${TZ}')
       AND business_unit = 'cards' AND channel = 'APP' AND product = 'h1d' ORDER BY metric`,
    );
    expect(got.map((g) => g.metric)).toEqual(['forecast_accuracy_daily', 'forecast_wape_interval']);
    // The day's contacts went through the pipeline and settled (the replay is over): so did its accuracy.
    expect(got.map((g) => Boolean(g.final))).toEqual([true, true]);
    expect(got[0]!.value).toBeCloseTo(expected!.accuracy, 9);
    expect(got[1]!.value).toBeCloseTo(expected!.wape, 9);
  });

  it('staffs each business unit per interval from the calls forecast, human AHT and patience', async () => {
    const rows = await query<{ business_unit: string; intervals: string; method: string; peak: string; aht: number; sl: number }>(
      store.client,
      `SELECT business_unit, count() AS intervals, any(method) AS method, max(agents_required) AS peak, any(aht_seconds) AS aht, min(service_level) AS sl
       FROM ${store.db}.staffing WHERE business_unit != 'newbiz' GROUP BY business_unit ORDER BY business_unit`,
    );
    expect(rows.map((r) => r.business_unit)).toEqual(['cards', 'deposits', 'insurance', 'loans', 'mortgage', 'payments', 'wealth']);
    for (const r of rows) {
      expect(Number(r.intervals)).toBe(14 * 48 - 20);
      expect(Number(r.peak)).toBeGreaterThan(0);
      expect(r.aht).toBeGreaterThan(200);
      expect(r.aht).toBeLessThan(350);
      expect(r.sl).toBeGreaterThanOrEqual(0.8);
      expect(['erlang_a', 'erlang_c']).toContain(r.method);
    }
    expect(cycle.staffingRows).toBeGreaterThan(0);
  });

  it('half an hour later re-forecasts intraday to the end of tomorrow, leaving every earlier forecast as it was', async () => {
    const before = await query<{ n: string; s: number }>(store.client, `SELECT count() AS n, sum(point) AS s FROM ${store.db}.forecasts`);
    const next = await forecaster.cycle(NOW + 30 * 60_000);
    const intraday = next.runs.find((r) => r.run === 'intraday')!;
    expect(intraday.origin).toEqual({ date: '2025-11-12', slot: 21 });
    const [rows] = await query<{ n: string; baseline: string; last: string }>(
      store.client,
      `SELECT count() AS n, countIf(role = 'baseline') AS baseline, toString(max(interval)) AS last FROM ${store.db}.forecasts
       WHERE run = 'intraday' AND kind = 'contacts' AND business_unit = 'cards' AND segment = 'APP'`,
    );
    expect({ n: Number(rows!.n), baseline: Number(rows!.baseline), last: rows!.last }).toEqual({ n: 2 * 48 - 21, baseline: 0, last: '2025-11-13 23:30:00' });
    const [kept] = await query<{ n: string; s: number }>(store.client, `SELECT count() AS n, sum(point) AS s FROM ${store.db}.forecasts WHERE run != 'intraday'`);
    expect(Number(kept!.n)).toBe(Number(before[0]!.n));
    expect(kept!.s).toBeCloseTo(before[0]!.s, 6);
  });

  it('takes calendar events over HTTP, refusing bad ones with the reason', async () => {
    const service = await startForecaster({ client: store.client, db: store.db, config: loadForecasterConfig(env), logger, now: () => NOW });
    try {
      const post = (body: string) => fetch(`http://127.0.0.1:${service.http.port}/v1/forecast-events`, { method: 'POST', body });
      const bad = await post(JSON.stringify([{ name: 'x', starts: '2025-13-01' }]));
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toMatch(/starts.*YYYY-MM-DD/);
      const ok = await post(JSON.stringify({ name: 'payments outage', kind: 'incident', starts: '2025-11-05', business_unit: 'payments' }));
      expect(await ok.json()).toEqual({ inserted: 1 });
      const events = await forecaster.store.readEvents();
      expect(events.find((e) => e.name === 'payments outage')).toEqual({ name: 'payments outage', kind: 'incident', starts: '2025-11-05', ends: '2025-11-05', businessUnit: 'payments', channel: '', uplift: null });
    } finally {
      await service.stop();
    }
  });
});
