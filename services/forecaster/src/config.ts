import { ConfigError, envReader, loadTimeRules } from '@cs/runtime';
import { MODELS, type ForecastOptions, type PrimaryModel } from './forecast.ts';
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
  const positive = (name: string, fallback: number) => {
    const v = r.int(name, fallback);
    if (v < 1) throw new ConfigError(`${name} must be ≥ 1, got ${v}`);
    return v;
  };
  const fraction = (name: string, fallback: number) => {
    const text = r.optional(name);
    const v = text === undefined ? fallback : Number(text);
    if (!(v > 0 && v < 1)) throw new ConfigError(`${name} must be a number in (0, 1), got "${text}"`);
    return v;
  };
  const historyDays = positive('CS_FORECAST_HISTORY_DAYS', 84);
  const minHistoryDays = positive('CS_FORECAST_MIN_HISTORY_DAYS', 21);
  if (minHistoryDays > historyDays) throw new ConfigError(`CS_FORECAST_MIN_HISTORY_DAYS (${minHistoryDays}) must not exceed CS_FORECAST_HISTORY_DAYS (${historyDays})`);
  return {
    timeZone: rules.timeZone,
    allowedLatenessMs: rules.allowedLatenessMs,
    horizonDays: positive('CS_FORECAST_HORIZON_DAYS', 14),
    historyDays,
    forecast: {
      model: r.oneOf<PrimaryModel>('CS_FORECAST_MODEL', MODELS, 'mstl_ets'),
      minHistoryDays,
      level: fraction('CS_FORECAST_INTERVAL_LEVEL', 0.95),
      transform: 'none',
    },
    delayMs: r.duration('CS_FORECAST_DELAY', '2m'),
    schedule: r.bool('CS_FORECAST_SCHEDULE', true),
    backfillDays: r.int('CS_FORECAST_BACKFILL_DAYS', 14),
    scoreDays: positive('CS_FORECAST_SCORE_DAYS', 35),
    staffing: {
      serviceLevel: fraction('CS_FORECAST_TARGET_SERVICE_LEVEL', 0.8),
      answerSeconds: r.duration('CS_FORECAST_TARGET_ANSWER_TIME', '20s') / 1000,
      lookbackDays: positive('CS_FORECAST_STAFFING_LOOKBACK_DAYS', 28),
      minAbandons: r.int('CS_FORECAST_MIN_ABANDONS', 30),
    },
    httpHost: r.string('FORECASTER_HTTP_HOST', '127.0.0.1'),
    httpPort: r.int('FORECASTER_HTTP_PORT', 9402),
  };
}
