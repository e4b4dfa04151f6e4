/**
 * SQL for the panels, written for the Grafana ClickHouse data source (grafana-clickhouse-datasource
 * 4.x) and its macros:
 *
 *   $__timeFilter(col)   → col >= toDateTime(<from s>) AND col <= toDateTime(<to s>)
 *   $__fromTime / $__toTime → toDateTime(<s>)
 *   $__interval_s        → the panel interval in seconds (≥ 1)
 *   $__timeInterval(col) → toStartOfInterval(toDateTime(col), INTERVAL <interval_s> second)
 *   $__conditionalAll(cond, $var) → cond, or 1=1 when "All" is selected (expanded by the plugin's frontend)
 *
 * Argument-less macros are always written in parentheses, `($__toTime)`: the plugin SDK's macro
 * scanner treats the first "(" after a macro name as the start of its arguments, so
 * `$__toTime, f(x)` would swallow `, f(x)`; a ")" first stops the scan.
 *
 * Ratios are Σ numerator / Σ denominator × scale over the selected buckets and dimensions, never an
 * average of `value`; count metrics sum their numerator, except headcount, which is never added up
 * across buckets or business units.
 */
import { FORECAST_METRIC_IDS, isAdditive, metric, sqlString, type MetricDefinition, type MetricId } from '@cs/catalog';

export const FROM = '($__fromTime)';
export const TO = '($__toTime)';
export const INTERVAL_S = '($__interval_s)';
const SPAN = `dateDiff('second', ${FROM}, ${TO})`;

/** Grain of cs.metrics by the length of the selected range: minute up to `minuteMax` seconds, hour up to `hourMax`, then day. */
export const rangeGrain = (minuteMax: number, hourMax: number) => `multiIf(${SPAN} <= ${minuteMax}, 'minute', ${SPAN} <= ${hourMax}, 'hour', 'day')`;
/** Grain of cs.metrics for a figure over the whole range: minute up to 3 days, hour up to 93 days, then day. */
export const RANGE_GRAIN = rangeGrain(3 * 86400, 93 * 86400);
/** Grain of cs.metrics for a series: the coarsest grain that is not coarser than the panel interval. */
export const INTERVAL_GRAIN = `multiIf(${INTERVAL_S} < 3600, 'minute', ${INTERVAL_S} < 86400, 'hour', 'day')`;
/**
 * Series time: buckets regrouped by the panel interval; day buckets stay at their local midnight
 * (toStartOfInterval in seconds is aligned on UTC, which would shift a local day).
 */
export const SERIES_TIME = `if(${INTERVAL_S} >= 86400, bucket, $__timeInterval(bucket))`;

/** Dashboard variables and the column each one filters. */
export type Dim = 'business_unit' | 'product' | 'channel';
export interface VarFilter {
  variable: string;
  column: string;
}
export const DIM_FILTERS: readonly VarFilter[] = [
  { variable: 'business_unit', column: 'business_unit' },
  { variable: 'product', column: 'product' },
  { variable: 'channel', column: 'channel' },
];
/** Workforce metrics keep the site type in the product column and an empty channel. */
export const WORKFORCE_FILTERS: readonly VarFilter[] = [
  { variable: 'business_unit', column: 'business_unit' },
  { variable: 'site_type', column: 'product' },
];
export const BU_FILTER: readonly VarFilter[] = [{ variable: 'business_unit', column: 'business_unit' }];

/** `$__conditionalAll(col IN (${var:singlequote}), $var)`: no condition at all when "All" is selected. */
export const varCondition = (f: VarFilter) => `$__conditionalAll(${f.column} IN (\${${f.variable}:singlequote}), $${f.variable})`;
export const varConditions = (filters: readonly VarFilter[]) => filters.map(varCondition);
/** The filters' conditions as `\n  AND …` lines, to follow the last condition of a WHERE. */
export const andConditions = (filters: readonly VarFilter[]) => varConditions(filters).map((c) => `\n  AND ${c}`).join('');

const ids = (ms: readonly MetricDefinition[]) => ms.map((m) => sqlString(m.id)).join(', ');

/** Aggregate of one metric: Σnum / Σden × scale, or Σnum for additive counts. `cond` restricts the rows. */
export function metricValue(m: MetricDefinition, cond?: string): string {
  if (!isAdditive(m.id)) throw new Error(`${m.id} does not add up across buckets or business units: query it per bucket`);
  const sum = (col: string) => (cond ? `sumIf(${col}, ${cond})` : `sum(${col})`);
  if (m.kind === 'count') return sum('numerator');
  const ratio = `${sum('numerator')} / nullIf(${sum('denominator')}, 0)`;
  return m.scale === 1 ? ratio : `${ratio} * ${m.scale}`;
}

/** Aggregate of one metric among several in the same query. */
export const metricValueOf = (m: MetricDefinition, extra?: string) => metricValue(m, `metric = ${sqlString(m.id)}${extra ? ` AND ${extra}` : ''}`);

export interface MetricsQuery {
  db: string;
  metrics: readonly MetricDefinition[];
  filters: readonly VarFilter[];
}

function where(q: MetricsQuery, grain: string, extra: readonly string[] = []): string {
  const metricCond = q.metrics.length === 1 ? `metric = ${sqlString(q.metrics[0]!.id)}` : `metric IN (${ids(q.metrics)})`;
  return ['WHERE ' + `grain = ${grain}`, `$__timeFilter(bucket)`, metricCond, ...varConditions(q.filters), ...extra].join('\n  AND ');
}

/** Value columns: plain sums for a query on one metric, sums restricted to each metric otherwise. */
const valueColumns = (q: MetricsQuery) => q.metrics.map((m) => `${q.metrics.length === 1 ? metricValue(m) : metricValueOf(m)} AS ${m.id}`);

/** One row: each metric over the whole selected range, as column `<metric id>`. */
export function rangeValuesSql(q: MetricsQuery): string {
  const cols = valueColumns(q);
  return `SELECT\n  ${cols.join(',\n  ')}\nFROM ${q.db}.metrics\n${where(q, RANGE_GRAIN)}`;
}

/** A time series per metric, column `<metric id>`, one point per panel interval. */
export function seriesSql(q: MetricsQuery): string {
  const cols = valueColumns(q);
  return `SELECT\n  ${SERIES_TIME} AS time,\n  ${cols.join(',\n  ')}\nFROM ${q.db}.metrics\n${where(q, INTERVAL_GRAIN)}\nGROUP BY time\nORDER BY time`;
}

/** One row per value of `dim` over the range, metrics as columns, ordered by the first metric. */
export function breakdownSql(q: MetricsQuery & { dim: Dim; limit?: number; orderBy?: MetricDefinition }): string {
  const cols = valueColumns(q);
  const order = q.orderBy ?? q.metrics[0]!;
  return (
    `SELECT\n  ${q.dim},\n  ${cols.join(',\n  ')}\nFROM ${q.db}.metrics\n${where(q, RANGE_GRAIN, [`${q.dim} != ''`])}\nGROUP BY ${q.dim}\n` +
    `ORDER BY ${order.id} DESC NULLS LAST, ${q.dim}${q.limit ? `\nLIMIT ${q.limit}` : ''}`
  );
}

/**
 * One row: the metric today, yesterday and the same day last week, each from local midnight up to the
 * same time of day as the end of the selected range ("today" is the day of the range's end, in the
 * zone of the buckets), and `today_provisional`: the share of today's figure (its denominator, or
 * the count) in rows that are not final yet. Complete hours come from hour buckets, the hour in
 * progress from minute buckets, so each figure is exact and cheap.
 */
export function comparisonSql(q: MetricsQuery): string {
  if (q.metrics.length !== 1) throw new Error('comparisonSql takes one metric');
  const m = q.metrics[0]!;
  const periods = [
    { alias: 'today', days: 0 },
    { alias: 'yesterday', days: 1 },
    { alias: 'last_week', days: 7 },
  ];
  const end = (d: number) => (d === 0 ? 't_end' : `t_end - INTERVAL ${d} DAY`);
  const window = (d: number) =>
    `(grain = 'hour' AND bucket >= toStartOfDay(${end(d)}) AND bucket < toStartOfHour(${end(d)}))` +
    ` OR (grain = 'minute' AND bucket >= toStartOfHour(${end(d)}) AND bucket <= ${end(d)})`;
  const period = `multiIf(${periods.map((p) => `${window(p.days)}, ${p.days}`).join(',\n      ')},\n      -1)`;
  const cols = periods.map((p) => `${metricValue(m, `period = ${p.days}`)} AS ${p.alias}`);
  const weight = m.kind === 'count' ? 'numerator' : 'denominator';
  cols.push(`sumIf(${weight}, period = 0 AND NOT final) / nullIf(sumIf(${weight}, period = 0), 0) AS today_provisional`);
  return (
    `SELECT\n  ${cols.join(',\n  ')}\nFROM (\n  SELECT numerator, denominator, final,\n    toTimeZone(${TO}, timeZoneOf(bucket)) AS t_end,\n    ${period} AS period\n` +
    `  FROM ${q.db}.metrics\n  WHERE metric = ${sqlString(m.id)}\n    AND grain IN ('hour', 'minute')\n` +
    `    AND bucket >= toStartOfDay(t_end - INTERVAL 7 DAY) AND bucket <= t_end\n` +
    varConditions(q.filters).map((c) => `    AND ${c}\n`).join('') +
    `)\nWHERE period >= 0`
  );
}

/** Values of a dashboard variable from cs.metrics (day buckets overlapping the selected range). */
export function variableSql(db: string, column: string, metricCond: string, filters: readonly VarFilter[]): string {
  return [
    `SELECT DISTINCT ${column}`,
    `FROM ${db}.metrics`,
    `WHERE grain = 'day'`,
    `  AND bucket >= ${FROM} - INTERVAL 1 DAY AND bucket <= ${TO}`,
    `  AND ${metricCond}`,
    `  AND ${column} != ''`,
    ...varConditions(filters).map((c) => `  AND ${c}`),
    `ORDER BY ${column}`,
  ].join('\n');
}

export const WORKFORCE_METRICS = ['staffed_hours', 'headcount'] as const satisfies readonly MetricId[];
// The forecast-accuracy metrics keep the horizon in the product column (h1d, h7d …): not a product.
export const nonWorkforceCond = `metric NOT IN (${[...WORKFORCE_METRICS, ...FORECAST_METRIC_IDS].map(sqlString).join(', ')})`;
export const workforceCond = `metric IN (${WORKFORCE_METRICS.map(sqlString).join(', ')})`;

export const m = metric;
/** The definitions of several metrics, in order (an unknown id is a compile error). */
export const metricsOf = (ids: readonly MetricId[]): MetricDefinition[] => ids.map((id) => metric(id));
