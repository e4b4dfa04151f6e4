/**
 * One series, one origin: the model's forecast (MSTL + AutoETS on the calendar-adjusted history,
 * times the calendar's factors) and, beside it, the seasonal-naive baseline. A series with too
 * little history, or one the model fails on, falls back to the baseline — visibly: the primary
 * forecast then carries the baseline's model name and the reason (status `fallback`), and a series
 * with no history at all is `skipped` with its reason. The service and the backtest both call this.
 */
import { adjustForEvents, appliesTo, type ForecastEvent } from './calendar.ts';
import { SLOTS_PER_DAY, SLOTS_PER_WEEK, addDays, daysBetween, type Slot } from './grid.ts';
import { mstlEtsForecast, type ModelForecast } from './models/augurs.ts';
import { normalQuantile, seasonalNaiveForecast } from './models/seasonal-naive.ts';
import type { SeriesHistory, SeriesKey } from './series.ts';

export const MODELS = ['mstl_ets', 'seasonal_naive'] as const;
export type PrimaryModel = (typeof MODELS)[number];
/** Every model name that can appear in cs.forecasts.model. */
export type ModelName = PrimaryModel | 'seasonal_naive_daily';
export type Transform = 'none' | 'log';

export interface ForecastOptions {
  model: PrimaryModel;
  /** Days of history the model needs; fewer fall back to the baseline. */
  minHistoryDays: number;
  /** Central prediction-interval level, 0–1. */
  level: number;
  /** Variance-stabilising transform before fitting (log: log(1 + y)). */
  transform: Transform;
}

export interface ModelOutput {
  model: ModelName;
  forecast: ModelForecast;
}

export type ForecastStatus = 'ok' | 'fallback' | 'skipped';

export interface SeriesForecast {
  key: SeriesKey;
  origin: Slot;
  horizon: number;
  /** The issued forecast (the model's, or the baseline's on fallback); null when skipped. */
  primary: ModelOutput | null;
  baseline: ModelOutput | null;
  status: ForecastStatus;
  /** Why the model was not used, plus calendar notes; '' when there is nothing to say. */
  reason: string;
  historyDays: number;
  fitMs: number;
}

/**
 * @param history  the series from its start up to (excluding) `origin`
 * @param horizon  forecast slots from `origin`
 */
export function forecastSeries(history: SeriesHistory, origin: Slot, horizon: number, events: readonly ForecastEvent[], opts: ForecastOptions): SeriesForecast {
  const expected = daysBetween(history.start, origin.date) * SLOTS_PER_DAY + origin.slot;
  if (history.values.length !== expected) throw new RangeError(`history of ${history.values.length} slots does not end at the origin (${expected} slots)`);
  const began = performance.now();
  const y = history.values;
  const first = y.findIndex((v) => v > 0);
  const historyDays = first < 0 ? 0 : (y.length - first) / SLOTS_PER_DAY;
  const result = (primary: ModelOutput | null, baseline: ModelOutput | null, status: ForecastStatus, reason: string): SeriesForecast => ({
    key: history.key,
    origin,
    horizon,
    primary,
    baseline,
    status,
    reason,
    historyDays: Math.round(historyDays * 100) / 100,
    fitMs: performance.now() - began,
  });

  const baseline = baselineForecast(y, horizon, opts.level);
  if (baseline === null) return result(null, null, 'skipped', `no history: ${historyDays.toFixed(1)} days, the baseline needs a full day`);

  const wanted = opts.model;
  if (wanted === 'seasonal_naive') return result(baseline, baseline, 'ok', '');
  if (historyDays < opts.minHistoryDays) {
    return result(baseline, baseline, 'fallback', `too little history for ${wanted}: ${historyDays.toFixed(1)} days < ${opts.minHistoryDays} required; issued ${baseline.model}`);
  }
  try {
    // Fit from the first whole day with data, so the seasonal periods stay aligned with the grid.
    const from = Math.floor(first / SLOTS_PER_DAY) * SLOTS_PER_DAY;
    const fromDate = addDays(history.start, from / SLOTS_PER_DAY);
    const own = events.filter((e) => appliesTo(e, history.key));
    const calendar = adjustForEvents(y.subarray(from), fromDate, origin, horizon, own);
    const raw = mstlEtsForecast(transform(calendar.history, opts.transform), [SLOTS_PER_DAY, SLOTS_PER_WEEK], horizon, opts.level);
    const forecast = widenForCounts(scale(untransform(raw, opts.transform), calendar.factors), opts.level);
    return result({ model: wanted, forecast }, baseline, 'ok', calendar.notes.join('; '));
  } catch (err) {
    return result(baseline, baseline, 'fallback', `${wanted} failed: ${(err as Error).message}; issued ${baseline.model}`);
  }
}

/** Same slot last week; with less than a week of history, same slot yesterday; null with less than a day. */
function baselineForecast(y: Float64Array, horizon: number, level: number): ModelOutput | null {
  const first = y.findIndex((v) => v > 0);
  const span = first < 0 ? 0 : y.length - first;
  if (span >= SLOTS_PER_WEEK) return { model: 'seasonal_naive', forecast: clampAtZero(seasonalNaiveForecast(y, SLOTS_PER_WEEK, horizon, level)) };
  if (span >= SLOTS_PER_DAY) return { model: 'seasonal_naive_daily', forecast: clampAtZero(seasonalNaiveForecast(y, SLOTS_PER_DAY, horizon, level)) };
  return null;
}

function transform(y: Float64Array, t: Transform): Float64Array {
  return t === 'log' ? y.map((v) => Math.log1p(Math.max(0, v))) : y;
}

function untransform(f: ModelForecast, t: Transform): ModelForecast {
  if (t === 'none') return f;
  const back = (a: Float64Array) => a.map((v) => Math.expm1(v));
  return { point: back(f.point), lower: back(f.lower), upper: back(f.upper) };
}

function scale(f: ModelForecast, factors: Float64Array): ModelForecast {
  return clampAtZero({ point: f.point.map((v, i) => v * factors[i]!), lower: f.lower.map((v, i) => v * factors[i]!), upper: f.upper.map((v, i) => v * factors[i]!) });
}

/**
 * The decomposition's in-sample remainder understates the count noise of a half-hour slot: add the
 * Poisson variance of the point to the model's interval (half-widths combine in quadrature).
 */
function widenForCounts(f: ModelForecast, level: number): ModelForecast {
  const z = normalQuantile(0.5 + level / 2);
  const lower = f.point.map((p, i) => p - Math.hypot(p - f.lower[i]!, z * Math.sqrt(p)));
  const upper = f.point.map((p, i) => p + Math.hypot(f.upper[i]! - p, z * Math.sqrt(p)));
  return clampAtZero({ point: f.point, lower, upper });
}

/** Volumes are never negative. */
function clampAtZero(f: ModelForecast): ModelForecast {
  const c = (a: Float64Array) => a.map((v) => (v > 0 ? v : 0));
  return { point: c(f.point), lower: c(f.lower), upper: c(f.upper) };
}
