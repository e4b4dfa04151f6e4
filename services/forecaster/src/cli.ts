/**
 * `npm run forecast`: an on-demand forecast, or the rolling-origin backtest.
 *
 *   npm run forecast                        issue a forecast now (run `on_demand`): through the running
 *                                           forecaster if one answers, else directly on the store
 *   npm run forecast -- --backtest          backtest on the store's history (CLICKHOUSE_URL or the
 *                                           embedded store while no pipeline holds it)
 *   npm run forecast -- --backtest --simulate   backtest on 12 weeks simulated in-process
 */
import { parseArgs } from 'node:util';
import { loadClickHouseConfig, openClickHouse } from '@cs/clickhouse';
import { createLogger, ZoneClock } from '@cs/runtime';
import { parseSurge } from '@cs/simulator';
import { backtest } from './backtest.ts';
import { loadForecasterConfig } from './config.ts';
import { MODELS, type PrimaryModel } from './forecast.ts';
import { SLOTS_PER_DAY, addDays } from './grid.ts';
import { backtestReport } from './report.ts';
import { Forecaster } from './run.ts';
import { SERIES_KINDS, type SeriesHistory, type SeriesKind } from './series.ts';
import { simulateHistory } from './simulated.ts';
import type { ForecastEvent } from './calendar.ts';

const USAGE = `usage: npm run forecast -- [options]

  (no option)            issue a forecast now (run on_demand), through the running forecaster
                         (FORECASTER_HTTP_PORT, default 9403) or directly on the store
  --backtest             rolling-origin backtest: forecast from each of the last --origins midnights
                         with the data before it; daily accuracy and interval WAPE at 1 and 7 days
                         ahead, model vs the seasonal-naive baseline
    --simulate           on history simulated in-process (no Kafka, no store) instead of the store's
    --weeks N            weeks of history (default 12)
    --origins N          rolling origins (default 35)
    --kinds K            contacts, calls or contacts,calls (default contacts)
    --model M            ${MODELS.join(' | ')} (default CS_FORECAST_MODEL or mstl_ets)
  simulation (--simulate)
    --start YYYY-MM-DD   first day (default 2025-08-25: 12 weeks with National Day, payday, the card
                         campaign, Double 11)
    --tz ZONE            default CS_TIMEZONE, else Asia/Shanghai
    --seed N             default 1
    --contacts-per-day N default 100000
    --trend G            weekly growth (default 0.005)
    --surge S            unannounced surge (default 2025-10-28T10:00/5h/x2.2/bu=payments/channel=HOTLINE;
                         "none" for none)
`;

class UsageError extends Error {}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      backtest: { type: 'boolean', default: false },
      simulate: { type: 'boolean', default: false },
      weeks: { type: 'string', default: '12' },
      origins: { type: 'string', default: '35' },
      kinds: { type: 'string', default: 'contacts' },
      model: { type: 'string' },
      start: { type: 'string', default: '2025-08-25' },
      tz: { type: 'string' },
      seed: { type: 'string', default: '1' },
      'contacts-per-day': { type: 'string', default: '100000' },
      trend: { type: 'string', default: '0.005' },
      surge: { type: 'string', default: '2025-10-28T10:00/5h/x2.2/bu=payments/channel=HOTLINE' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const int = (name: string, text: string) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got "${text}"`);
    return n;
  };
  const config = loadForecasterConfig();
  if (values.model !== undefined) {
    if (!MODELS.includes(values.model as PrimaryModel)) throw new UsageError(`--model must be one of ${MODELS.join(', ')}`);
    config.forecast.model = values.model as PrimaryModel;
  }
  if (!values.backtest) return onDemand(config);

  const kinds = values.kinds.split(',').map((k) => k.trim()) as SeriesKind[];
  if (kinds.some((k) => !SERIES_KINDS.includes(k))) throw new UsageError(`--kinds must list ${SERIES_KINDS.join(', ')}`);
  const days = int('weeks', values.weeks) * 7;
  const origins = int('origins', values.origins);
  const timeZone = values.tz ?? process.env.CS_TIMEZONE ?? 'Asia/Shanghai';
  let histories: SeriesHistory[];
  let events: ForecastEvent[];
  let title: string;
  const began = performance.now();
  if (values.simulate) {
    const zone = new ZoneClock(timeZone);
    const surges = values.surge === 'none' ? [] : [parseSurge(values.surge, (y, mo, d, h, mi) => zone.toUtc(y, mo, d, h, mi))];
    const contactsPerDay = int('contacts-per-day', values['contacts-per-day']);
    const trendPerWeek = Number(values.trend);
    process.stderr.write(`simulating ${days} days from ${values.start} (${timeZone}, ${contactsPerDay} contacts/day, trend ${trendPerWeek}/week, ${surges.length} surge)…\n`);
    const sim = simulateHistory({ seed: int('seed', values.seed), firstDate: values.start, days, timeZone, contactsPerDay, trendPerWeek, surges });
    histories = sim.histories;
    events = sim.events;
    title = `Backtest on the simulator's history: seed ${values.seed}, ${values.start} + ${days} days, ${timeZone}, ${contactsPerDay} contacts/day, trend ${trendPerWeek}/week, surge ${values.surge}; calendar = the simulator's known days with planners' expected uplift (payday without one).`;
    process.stderr.write(`simulated in ${((performance.now() - began) / 1000).toFixed(1)} s\n`);
  } else {
    const ch = loadClickHouseConfig();
    const client = openClickHouse(ch);
    try {
      const forecaster = new Forecaster({ client, db: ch.database, config, logger: createLogger('forecast', process.env.LOG_LEVEL ?? 'warn') });
      const today = forecaster.grid.slotAt(Date.now()).date;
      const from = addDays(today, -days);
      histories = await forecaster.store.readHistories(from, { date: today, slot: 0 }, kinds);
      events = await forecaster.store.readEvents();
      title = `Backtest on the store's history (${ch.mode === 'server' ? ch.url : ch.dataDir}, database ${ch.database}): ${from} – ${addDays(today, -1)}, ${config.timeZone}.`;
    } finally {
      await client.close();
    }
  }
  histories = histories.filter((h) => kinds.includes(h.key.kind));
  if (histories.length === 0) throw new UsageError('no history to backtest (the store has no contacts yet?)');
  const result = backtest(histories, events, {
    origins,
    forecast: config.forecast,
    onOrigin: (done, total) => process.stderr.write(`\rorigin ${done}/${total}`),
  });
  process.stderr.write('\n');
  process.stdout.write(backtestReport(result, events, { title: `### ${title}\nModel: ${config.forecast.model} (CS_FORECAST_MIN_HISTORY_DAYS ${config.forecast.minHistoryDays}, ${Math.round(config.forecast.level * 100)} % bands); ${histories.length} series × ${histories[0]!.values.length / SLOTS_PER_DAY} days.`, target: 0.96 }));
  process.stderr.write(`done in ${((performance.now() - began) / 1000).toFixed(1)} s\n`);
  return 0;
}

/** Asks the running forecaster; if none answers, runs a cycle on the store directly. */
async function onDemand(config: ReturnType<typeof loadForecasterConfig>): Promise<number> {
  const url = `http://127.0.0.1:${config.httpPort}/v1/forecast`;
  try {
    const res = await fetch(url, { method: 'POST' });
    const body = await res.text();
    process.stdout.write(`${body}\n`);
    return res.ok ? 0 : 1;
  } catch {
    process.stderr.write(`no forecaster answers at ${url}; forecasting directly on the store\n`);
  }
  const ch = loadClickHouseConfig();
  const client = openClickHouse(ch);
  try {
    const forecaster = new Forecaster({ client, db: ch.database, config, logger: createLogger('forecast') });
    const summary = await forecaster.cycle(Date.now(), 'on_demand');
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return 0;
  } finally {
    await client.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`forecast: ${(err as Error).message}\n${err instanceof UsageError ? `\n${USAGE}` : ''}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
