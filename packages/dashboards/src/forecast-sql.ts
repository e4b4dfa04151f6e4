/**
 * SQL of the forecast panels (planning board, executive and workforce boards) and of the band alert,
 * on the forecaster's tables (services/forecaster/README.md):
 *
 *  - the **plan** of an interval: the latest forecast issued at or before the local midnight starting
 *    its day (what the day was staffed on; the 1-day-ahead forecast of the accuracy metrics);
 *  - the **re-forecast**: the latest forecast issued before the end of the selected range;
 *  - "the day": the local day of the end of the selected range (as the executive comparisons).
 *
 * Bands of several series are added up (Σ lower, Σ upper): wider than the band of the sum, so an
 * actual outside it is outside every reasonable band. Actuals are contacts from cs.metrics (minute
 * grain) grouped into the forecast's local half hours.
 */
import { sqlString } from '@cs/catalog';
import { TO, andConditions, type VarFilter } from './sql.ts';
import type { Lang } from './text.ts';

/** The planning board's panel of the band deviation (the band alert links to it). */
export const BAND_PANEL_TITLE = 'Outside the band in the last hour';

/** The variables of forecast panels: the series' channel is the `segment` column of cs.forecasts. */
export const FORECAST_FILTERS: readonly VarFilter[] = [
  { variable: 'business_unit', column: 'business_unit' },
  { variable: 'channel', column: 'segment' },
];
export const FORECAST_METRIC_FILTERS: readonly VarFilter[] = [
  { variable: 'business_unit', column: 'business_unit' },
  { variable: 'channel', column: 'channel' },
];

/** The filters' conditions as `AND …` lines indented for a subquery. */
const nestedConditions = (filters: readonly VarFilter[], indent: number) => andConditions(filters).replace(/\n {2}AND/g, `\n${' '.repeat(indent)}AND`);

/** Local midnight starting the day of the range end, in the zone of `col`. */
const endDay = (col: string) => `toStartOfDay(toTimeZone(${TO}, timeZoneOf(${col})))`;
/** The local half hour of a minute bucket. */
export const halfHourOf = (col: string) => `toStartOfHour(${col}) + toIntervalMinute(intDiv(toMinute(${col}), 30) * 30)`;
/** Rows of the day of the range end (the first condition keeps the scan on a few days of the sort key). */
const onEndDay = (col: string) => `${col} >= ${TO} - INTERVAL 2 DAY AND ${col} < ${TO} + INTERVAL 2 DAY\n    AND ${col} >= ${endDay(col)} AND ${col} < ${endDay(col)} + INTERVAL 1 DAY`;

/** Per series and interval, the latest forecast among those issued `issuedCond`. */
function latest(db: string, where: string, issuedCond: string, filters: readonly VarFilter[]): string {
  return (
    `SELECT business_unit, segment, interval,\n         argMax(point, issued_at) AS point, argMax(lower, issued_at) AS lower, argMax(upper, issued_at) AS upper\n` +
    `  FROM ${db}.forecasts\n  WHERE kind = 'contacts' AND role = 'primary'\n    AND ${where}\n    AND ${issuedCond}${nestedConditions(filters, 4)}\n  GROUP BY business_unit, segment, interval`
  );
}

const PLAN = 'issued_at <= toStartOfDay(interval)';

/** The day's plan per interval: forecast and band (columns time, forecast, band_low, band_high). */
export function planSql(db: string, filters: readonly VarFilter[]): string {
  return `SELECT interval AS time, sum(point) AS forecast, sum(lower) AS band_low, sum(upper) AS band_high\nFROM (\n  ${latest(db, onEndDay('interval'), PLAN, filters)}\n)\nGROUP BY time\nORDER BY time`;
}

/** The latest re-forecast of the day per interval (columns time, reforecast). */
export function reforecastSql(db: string, filters: readonly VarFilter[]): string {
  return `SELECT interval AS time, sum(point) AS reforecast\nFROM (\n  ${latest(db, onEndDay('interval'), `issued_at <= ${TO}`, filters)}\n)\nGROUP BY time\nORDER BY time`;
}

/** Contacts per local half hour of the day, up to the range end (columns time, actual). */
export function actualSql(db: string, filters: readonly VarFilter[]): string {
  return (
    `SELECT ${halfHourOf('bucket')} AS time, sum(numerator) AS actual\nFROM ${db}.metrics\nWHERE grain = 'minute' AND metric = 'contacts'\n` +
    `  AND bucket >= ${TO} - INTERVAL 2 DAY AND bucket >= ${endDay('bucket')} AND bucket <= ${TO}${andConditions(filters)}\nGROUP BY time\nORDER BY time`
  );
}

/** Where a window starts, as an expression of the column it bounds (so a local midnight can follow the column's zone). */
export type WindowStart = (col: string) => string;

/** Actual and plan per business unit and interval, for the complete intervals of [from, to). */
function actualVsPlan(db: string, from: WindowStart, to: string, filters: { forecasts: readonly VarFilter[]; metrics: readonly VarFilter[] }): string {
  const complete = `interval >= ${from('interval')} AND interval + INTERVAL 30 MINUTE <= ${to}`;
  return (
    `SELECT p.business_unit AS business_unit, p.interval AS interval, a.actual AS actual, p.forecast AS forecast, p.lower AS band_low, p.upper AS band_high\n` +
    `  FROM (\n    SELECT business_unit, interval, sum(point) AS forecast, sum(lower) AS lower, sum(upper) AS upper\n    FROM (\n      ${latest(db, complete, PLAN, filters.forecasts).replace(/\n/g, '\n    ')}\n    )\n    GROUP BY business_unit, interval\n  ) AS p\n` +
    `  LEFT JOIN (\n    SELECT business_unit, ${halfHourOf('bucket')} AS interval, sum(numerator) AS actual\n    FROM ${db}.metrics\n` +
    `    WHERE grain = 'minute' AND metric = 'contacts' AND bucket >= ${from('bucket')} AND bucket < ${to}${nestedConditions(filters.metrics, 6)}\n    GROUP BY business_unit, interval\n  ) AS a\n` +
    `  ON a.business_unit = p.business_unit AND a.interval = p.interval`
  );
}

/** The intervals of the day whose actual left the plan's band, per business unit (newest first). */
export function outsideBandSql(db: string, lang: Lang): string {
  const above = lang === 'zh' ? '高于' : 'above';
  const below = lang === 'zh' ? '低于' : 'below';
  return (
    `SELECT interval AS time, business_unit, actual, forecast, band_low, band_high,\n  if(actual > band_high, ${sqlString(above)}, ${sqlString(below)}) AS side, actual / nullIf(forecast, 0) - 1 AS deviation\nFROM (\n  ` +
    `${actualVsPlan(db, endDay, TO, { forecasts: FORECAST_FILTERS, metrics: FORECAST_METRIC_FILTERS })}\n)\nWHERE actual > band_high OR actual < band_low\nORDER BY time DESC, business_unit\nLIMIT 200`
  );
}

/**
 * Per business unit, how far the actual of the complete intervals of [from, to) is outside the plan's
 * band, relative to the plan: 0 inside the band, > 0 outside (columns business_unit, value).
 */
export function bandDeviationSql(db: string, window: { from: WindowStart; to: string }, filters: { forecasts: readonly VarFilter[]; metrics: readonly VarFilter[] } = { forecasts: [], metrics: [] }): string {
  return (
    `SELECT business_unit, greatest(sum(actual) - sum(band_high), sum(band_low) - sum(actual), 0) / nullIf(sum(forecast), 0) AS value\nFROM (\n  ` +
    `${actualVsPlan(db, window.from, window.to, filters)}\n)\nGROUP BY business_unit\nHAVING sum(forecast) > 0\nORDER BY business_unit`
  );
}

/** The day's complete half hours so far: contacts, the plan, and the deviation (columns actual_so_far, plan_so_far, deviation). */
export function daySoFarSql(db: string, filters: { forecasts: readonly VarFilter[]; metrics: readonly VarFilter[] }): string {
  return (
    `SELECT sum(actual) AS actual_so_far, sum(forecast) AS plan_so_far, actual_so_far / nullIf(plan_so_far, 0) - 1 AS deviation\nFROM (\n  ` +
    `${actualVsPlan(db, endDay, TO, filters)}\n)`
  );
}

/** Daily totals of the latest forecast for the 14 days from the day of the range end (columns time, forecast, band_low, band_high). */
export function nextDaysSql(db: string, filters: readonly VarFilter[]): string {
  const days = `interval >= ${TO} - INTERVAL 2 DAY AND interval >= ${endDay('interval')} AND interval < ${endDay('interval')} + INTERVAL 14 DAY`;
  return `SELECT toStartOfDay(interval) AS time, sum(point) AS forecast, sum(lower) AS band_low, sum(upper) AS band_high\nFROM (\n  ${latest(db, days, `issued_at <= ${TO}`, filters)}\n)\nGROUP BY time\nORDER BY time`;
}

/** Horizon labels of the accuracy metrics' `product` column. */
export const HORIZON_LABELS: Readonly<Record<string, { en: string; zh: string }>> = {
  h1d: { en: '1 day ahead', zh: '提前 1 天' },
  h7d: { en: '7 days ahead', zh: '提前 7 天' },
  h1d_baseline: { en: 'Seasonal naive, 1 day ahead', zh: '季节性朴素法，提前 1 天' },
};

/** A forecast-accuracy metric per day and horizon over the range (columns time, series, <alias>). */
export function accuracyTrendSql(db: string, metric: string, alias: string, lang: Lang, filters: readonly VarFilter[]): string {
  const keys = Object.keys(HORIZON_LABELS);
  const label = `transform(product, [${keys.map(sqlString).join(', ')}], [${keys.map((k) => sqlString(HORIZON_LABELS[k]![lang])).join(', ')}], product)`;
  return (
    `SELECT bucket AS time, ${label} AS series, sum(numerator) / nullIf(sum(denominator), 0) AS ${alias}\nFROM ${db}.metrics\n` +
    `WHERE grain = 'day' AND metric = ${sqlString(metric)} AND product IN (${keys.map(sqlString).join(', ')})\n  AND $__timeFilter(bucket)${andConditions(filters)}\nGROUP BY time, series\nORDER BY time, series`
  );
}

/** A forecast-accuracy metric of one horizon over the 7 complete days before the day of the range end (column `metric`). */
export function recentAccuracySql(db: string, metric: string, product: string, filters: readonly VarFilter[]): string {
  return (
    `SELECT sum(numerator) / nullIf(sum(denominator), 0) AS ${metric}\nFROM ${db}.metrics\nWHERE grain = 'day' AND metric = ${sqlString(metric)} AND product = ${sqlString(product)}\n` +
    `  AND bucket >= ${endDay('bucket')} - INTERVAL 7 DAY AND bucket < ${endDay('bucket')}${andConditions(filters)}`
  );
}

/** Accuracy per business unit over the range (columns business_unit, accuracy_1d, accuracy_7d, baseline_1d, wape_1d). */
export function accuracyByUnitSql(db: string, filters: readonly VarFilter[]): string {
  const ratio = (metric: string, product: string) => `sumIf(numerator, metric = '${metric}' AND product = '${product}') / nullIf(sumIf(denominator, metric = '${metric}' AND product = '${product}'), 0)`;
  return (
    `SELECT business_unit,\n  ${ratio('forecast_accuracy_daily', 'h1d')} AS accuracy_1d,\n  ${ratio('forecast_accuracy_daily', 'h7d')} AS accuracy_7d,\n  ${ratio('forecast_accuracy_daily', 'h1d_baseline')} AS baseline_1d,\n  ${ratio('forecast_wape_interval', 'h1d')} AS wape_1d\n` +
    `FROM ${db}.metrics\nWHERE grain = 'day' AND metric IN ('forecast_accuracy_daily', 'forecast_wape_interval')\n  AND $__timeFilter(bucket)${andConditions(filters)}\nGROUP BY business_unit\nORDER BY business_unit`
  );
}

/**
 * The alert on the 1-day-ahead accuracy per business unit: the latest scored day in the rule's window,
 * for units with at least `minimumVolume` contacts that day.
 */
export function accuracyAlertSql(db: string, metric: string, minimumVolume: number): string {
  const scored = `grain = 'day' AND metric = ${sqlString(metric)} AND product = 'h1d' AND $__timeFilter(bucket)`;
  return [
    'SELECT',
    '  business_unit,',
    '  sum(numerator) / sum(denominator) AS value',
    `FROM ${db}.metrics`,
    `WHERE ${scored}`,
    `  AND bucket = (SELECT max(bucket) FROM ${db}.metrics WHERE ${scored})`,
    'GROUP BY business_unit',
    `HAVING sum(denominator) >= ${minimumVolume}`,
    'ORDER BY business_unit',
  ].join('\n');
}

/** Per business unit and interval, agents required by the latest staffing issued before the interval began. */
function requiredPerUnit(db: string, filters: readonly VarFilter[]): string {
  return (
    `SELECT business_unit, interval, argMax(agents_required, issued_at) AS agents\n  FROM ${db}.staffing\n` +
    `  WHERE $__timeFilter(interval) AND issued_at <= interval${nestedConditions(filters, 4)}\n  GROUP BY business_unit, interval`
  );
}

/**
 * Agents logged in on average per local half hour (Σ staffed hours / 0.5 h), in-house and outsourced,
 * optionally per business unit (columns [business_unit,] interval, in_house, outsourced).
 */
function staffedSql(db: string, filters: readonly VarFilter[], byUnit: boolean): string {
  return (
    `SELECT ${byUnit ? 'business_unit, ' : ''}${halfHourOf('bucket')} AS interval,\n    sumIf(numerator, product = 'IN_HOUSE') * 2 AS in_house, sumIf(numerator, product = 'OUTSOURCED') * 2 AS outsourced\n  FROM ${db}.metrics\n` +
    `  WHERE grain = 'minute' AND metric = 'staffed_hours' AND $__timeFilter(bucket)${nestedConditions(filters, 4)}\n  GROUP BY ${byUnit ? 'business_unit, ' : ''}interval`
  );
}

/** Agents required and staffed per half hour over the range (columns time, agents_required, in_house, outsourced). */
export function requiredVsStaffedSql(db: string, required: readonly VarFilter[], staffed: readonly VarFilter[]): string {
  return (
    `SELECT r.time AS time, r.agents_required AS agents_required, s.in_house AS in_house, s.outsourced AS outsourced\n` +
    `FROM (\n  SELECT interval AS time, sum(agents) AS agents_required\n  FROM (\n  ${requiredPerUnit(db, required)}\n  )\n  GROUP BY time\n) AS r\n` +
    `LEFT JOIN (\n  ${staffedSql(db, staffed, false)}\n) AS s ON s.interval = r.time\nORDER BY time`
  );
}

/** Per business unit and interval: required vs staffed agents, the most understaffed first (columns time, business_unit, agents_required, in_house, outsourced, gap). */
export function staffingGapSql(db: string, filters: readonly VarFilter[]): string {
  return (
    `SELECT r.interval AS time, r.business_unit AS business_unit, r.agents AS agents_required, s.in_house AS in_house, s.outsourced AS outsourced,\n  s.in_house + s.outsourced - r.agents AS gap\n` +
    `FROM (\n  ${requiredPerUnit(db, filters)}\n) AS r\n` +
    `LEFT JOIN (\n  ${staffedSql(db, filters, true)}\n) AS s\nON s.business_unit = r.business_unit AND s.interval = r.interval\nORDER BY gap, time\nLIMIT 100`
  );
}
