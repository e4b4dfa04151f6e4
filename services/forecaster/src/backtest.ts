/**
 * Rolling-origin backtest: for each of the last N days of a history, forecast from its local
 * midnight with only the data before it (forecastSeries, the service's own code path), then score
 * the 1-day-ahead forecast of that day and the 7-day-ahead forecast of the day six days later,
 * for the model and the seasonal-naive baseline, with the SPEC §9 measures:
 *
 *   daily accuracy  1 − |ΣF − ΣA| / ΣA over a day          interval WAPE  Σ|F − A| / ΣA over its slots
 *
 * Figures over many series and days are rolled up like cs.metrics rolls them up: Σ numerators /
 * Σ denominators (accuracy numerator ΣA − |ΣF − ΣA|, WAPE numerator Σ|F − A|, denominator ΣA).
 */
import type { ForecastEvent } from './calendar.ts';
import { dayScore, type DayScore } from './accuracy.ts';
import { forecastSeries, type ForecastOptions } from './forecast.ts';
import { SLOTS_PER_DAY, addDays, daysBetween } from './grid.ts';
import type { SeriesHistory } from './series.ts';

export const HORIZONS = [1, 7] as const;

export interface BacktestOptions {
  /** Number of rolling origins (the last `origins` days of the history are the 1-day targets). */
  origins: number;
  forecast: ForecastOptions;
  /** Called after each origin, for progress output. */
  onOrigin?: (done: number, total: number) => void;
}

export interface ScoredDay {
  series: SeriesHistory['key'];
  date: string;
  horizon: number;
  role: 'model' | 'baseline';
  model: string;
  score: DayScore;
  /** Slots whose actual fell inside the prediction interval. */
  covered: number;
}

export interface BacktestResult {
  days: ScoredDay[];
  origins: string[];
  fallbacks: number;
  fitMs: number;
}

export function backtest(histories: readonly SeriesHistory[], events: readonly ForecastEvent[], opts: BacktestOptions): BacktestResult {
  if (histories.length === 0) throw new Error('backtest: no series to forecast');
  const start = histories[0]!.start;
  const totalDays = Math.floor(histories[0]!.values.length / SLOTS_PER_DAY);
  const firstOrigin = totalDays - opts.origins;
  if (firstOrigin < 14) throw new Error(`backtest: ${opts.origins} origins leave ${firstOrigin} days of training history; need at least 14`);
  const maxHorizon = Math.max(...HORIZONS);
  const days: ScoredDay[] = [];
  const origins: string[] = [];
  let fallbacks = 0;
  let fitMs = 0;
  for (let o = firstOrigin; o < totalDays; o++) {
    const originDate = addDays(start, o);
    origins.push(originDate);
    const horizonDays = Math.min(maxHorizon, totalDays - o);
    for (const h of histories) {
      if (h.start !== start || h.values.length !== histories[0]!.values.length) throw new Error('backtest: histories must share their start and length');
      const f = forecastSeries({ key: h.key, start, values: h.values.subarray(0, o * SLOTS_PER_DAY) }, { date: originDate, slot: 0 }, horizonDays * SLOTS_PER_DAY, events, opts.forecast);
      fitMs += f.fitMs;
      if (f.status !== 'ok') fallbacks++;
      for (const horizon of HORIZONS) {
        if (horizon > horizonDays) continue;
        const from = (horizon - 1) * SLOTS_PER_DAY;
        const actual = h.values.subarray((o + horizon - 1) * SLOTS_PER_DAY, (o + horizon) * SLOTS_PER_DAY);
        const date = addDays(originDate, horizon - 1);
        for (const [role, out] of [['model', f.primary], ['baseline', f.baseline]] as const) {
          if (!out) continue;
          const slice = (a: Float64Array) => a.subarray(from, from + SLOTS_PER_DAY);
          const lower = slice(out.forecast.lower);
          const upper = slice(out.forecast.upper);
          const covered = actual.reduce((n, v, i) => n + (v >= lower[i]! && v <= upper[i]! ? 1 : 0), 0);
          days.push({ series: h.key, date, horizon, role, model: out.model, score: dayScore(slice(out.forecast.point), actual), covered });
        }
      }
    }
    opts.onOrigin?.(o - firstOrigin + 1, opts.origins);
  }
  return { days, origins, fallbacks, fitMs };
}

export interface Rollup {
  accuracy: number;
  wape: number;
  days: number;
  /** Share of slots whose actual fell inside the prediction interval. */
  coverage: number;
  /** Lowest single-day accuracy among the rolled-up series-days. */
  worst: number;
}

export function rollup(days: readonly ScoredDay[]): Rollup {
  let num = 0;
  let abs = 0;
  let den = 0;
  let worst = Infinity;
  let covered = 0;
  for (const d of days) {
    covered += d.covered;
    num += d.score.accuracyNumerator;
    abs += d.score.absoluteError;
    den += d.score.actual;
    if (d.score.actual > 0) worst = Math.min(worst, d.score.accuracyNumerator / d.score.actual);
  }
  return { accuracy: den > 0 ? num / den : NaN, wape: den > 0 ? abs / den : NaN, days: days.length, worst, coverage: days.length ? covered / (days.length * SLOTS_PER_DAY) : NaN };
}

/** Days (per series) that carry a calendar event applying to the series. */
export function calendarDays(events: readonly ForecastEvent[], key: SeriesHistory['key'], appliesTo: (e: ForecastEvent, k: SeriesHistory['key']) => boolean): Set<string> {
  const out = new Set<string>();
  for (const e of events) {
    if (!appliesTo(e, key)) continue;
    for (let d = e.starts; daysBetween(d, e.ends) >= 0; d = addDays(d, 1)) out.add(d);
  }
  return out;
}
