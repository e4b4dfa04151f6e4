import { ConfigError, envReader, loadTimeRules } from '@cs/runtime';
import { MODELS, type ForecastOptions } from './forecast.ts';
import type { StaffingTarget } from './erlang.ts';

export interface ForecasterConfig {
  timeZone: string;
  allowedLatenessMs: number;
  /** Days forecast by the nightly run (the intraday runs forecast to the end of tomorrow). */
  horizonDays: number;
  /** Days of history read for each forecast. */
  historyDays: number;
  forecast: ForecastOptions;
  /** After each half-hour boundary, wait this long for the interval's events to land, then forecast. */
  delayMs: number;
  /** Issue forecasts on the schedule (false: only on demand and backfill). */
  schedule: boolean;
  /** On start, forecast as of each of the last N midnights that have no forecast, so their days get scored. */
  backfillDays: number;
  /** Rescore this many past days on each nightly run (late events may still change their actuals). */
  scoreDays: number;
  staffing: StaffingTarget & {
    /** Days of calls behind the AHT and patience estimates. */
    lookbackDays: number;
    /** Fewest abandoned calls in the lookback for Erlang A; fewer use Erlang C. */
    minAbandons: number;
  };
  httpHost: string;
  httpPort: number;
}

export function loadForecasterConfig(env: Record<string, string | undefined> = process.env): ForecasterConfig {
  const r = envReader(env);
  const rules = loadTimeRules(env);
  /** The value, or a ConfigError naming the variable. */
  const check = (name: string, value: number, ok: (v: number) => boolean, what: string) => {
    if (!ok(value)) throw new ConfigError(`${name} must be ${what}, got ${value}`);
    return value;
  };
  const atLeastOne = (v: number) => v >= 1;
  const fraction = (v: number) => v > 0 && v < 1;
  const historyDays = check('CS_FORECAST_HISTORY_DAYS', r.int('CS_FORECAST_HISTORY_DAYS', 84), atLeastOne, '≥ 1');
  const minHistoryDays = check('CS_FORECAST_MIN_HISTORY_DAYS', r.int('CS_FORECAST_MIN_HISTORY_DAYS', 21), (v) => v >= 14 && v <= historyDays, `in [14, CS_FORECAST_HISTORY_DAYS = ${historyDays}] (MSTL needs two weekly seasons)`);
  return {
    timeZone: rules.timeZone,
    allowedLatenessMs: rules.allowedLatenessMs,
    horizonDays: check('CS_FORECAST_HORIZON_DAYS', r.int('CS_FORECAST_HORIZON_DAYS', 14), (v) => v >= 7, '≥ 7 (the 7-day-ahead accuracy needs it)'),
    historyDays,
    forecast: {
      model: r.oneOf('CS_FORECAST_MODEL', MODELS, 'mstl_ets'),
      minHistoryDays,
      level: check('CS_FORECAST_INTERVAL_LEVEL', r.number('CS_FORECAST_INTERVAL_LEVEL', 0.95), fraction, 'in (0, 1)'),
      transform: 'none',
    },
    delayMs: r.duration('CS_FORECAST_DELAY', '2m'),
    schedule: r.bool('CS_FORECAST_SCHEDULE', true),
    backfillDays: check('CS_FORECAST_BACKFILL_DAYS', r.int('CS_FORECAST_BACKFILL_DAYS', 14), (v) => v >= 0, '≥ 0'),
    scoreDays: check('CS_FORECAST_SCORE_DAYS', r.int('CS_FORECAST_SCORE_DAYS', 35), atLeastOne, '≥ 1'),
    staffing: {
      serviceLevel: check('CS_FORECAST_TARGET_SERVICE_LEVEL', r.number('CS_FORECAST_TARGET_SERVICE_LEVEL', 0.8), fraction, 'in (0, 1)'),
      answerSeconds: r.duration('CS_FORECAST_TARGET_ANSWER_TIME', '20s') / 1000,
      lookbackDays: check('CS_FORECAST_STAFFING_LOOKBACK_DAYS', r.int('CS_FORECAST_STAFFING_LOOKBACK_DAYS', 28), atLeastOne, '≥ 1'),
      minAbandons: check('CS_FORECAST_MIN_ABANDONS', r.int('CS_FORECAST_MIN_ABANDONS', 30), (v) => v >= 1, '≥ 1'),
    },
    httpHost: r.string('FORECASTER_HTTP_HOST', '127.0.0.1'),
    httpPort: r.int('FORECASTER_HTTP_PORT', 9403),
  };
}
