/** Panel factories: KPI stats, comparisons, trends, breakdowns, and plain SQL panels. */
import type { MetricDefinition, MetricId } from '@cs/catalog';
import { uidOf, type PanelSpec, type QuerySpec, type RowSpec } from './board.ts';
import type { FieldConfig, FieldConfigOverride, FieldConfigSource, PanelType, ThresholdsConfig } from './grafana.ts';
import { breakdownSql, comparisonSql, rangeValuesSql, seriesSql, type Dim, type VarFilter } from './sql.ts';
import { L, formatTarget, grafanaUnit, metricDescription, metricName, type Lang, type Text } from './text.ts';

export interface Ctx {
  db: string;
  /** Targets by metric id (catalog defaults, or overridden). */
  targets: Readonly<Record<string, number>>;
}

export const row = (title: Text): RowSpec => ({ kind: 'row', title });

const GREEN = 'green';
const RED = 'red';
const NEUTRAL = 'blue';

/** Direction-aware thresholds: the target is where the colour turns (≥ target for higher-is-better). */
export function thresholds(m: MetricDefinition, target: number | undefined): ThresholdsConfig {
  if (target === undefined || m.direction === 'neutral') return { mode: 'absolute', steps: [{ value: null, color: NEUTRAL }] };
  return m.direction === 'higher_is_better'
    ? { mode: 'absolute', steps: [{ value: null, color: RED }, { value: target, color: GREEN }] }
    : { mode: 'absolute', steps: [{ value: null, color: GREEN }, { value: target, color: RED }] };
}

/** Override properties of the field (column) `name`. */
export const field = (name: string, properties: { id: string; value?: unknown }[]): FieldConfigOverride => ({ matcher: { id: 'byName', options: name }, properties });

/** Unit, decimals, thresholds and display name of a metric's column, as override properties. */
function metricFieldProperties(m: MetricDefinition, ctx: Ctx, lang: Lang, opts: { thresholdsStyle?: boolean; cellColor?: boolean } = {}) {
  const { unit, decimals } = grafanaUnit(m);
  const target = ctx.targets[m.id];
  const props: { id: string; value?: unknown }[] = [
    { id: 'displayName', value: metricName(m)[lang] },
    { id: 'unit', value: unit },
  ];
  if (decimals !== undefined) props.push({ id: 'decimals', value: decimals });
  if (target !== undefined) {
    props.push({ id: 'thresholds', value: thresholds(m, target) });
    if (opts.thresholdsStyle) props.push({ id: 'custom.thresholdsStyle', value: { mode: 'dashed' } });
    if (opts.cellColor) {
      props.push({ id: 'color', value: { mode: 'thresholds' } });
      props.push({ id: 'custom.cellOptions', value: { type: 'color-text' } });
    }
  }
  return props;
}

function unitDefaults(m: MetricDefinition): FieldConfig {
  const { unit, decimals } = grafanaUnit(m);
  return decimals === undefined ? { unit } : { unit, decimals };
}

export const statPanelOptions = (textMode: string, extra: Record<string, unknown> = {}) => ({
  reduceOptions: { values: false, calcs: ['lastNotNull'], fields: '' },
  orientation: 'auto',
  textMode,
  wideLayout: true,
  colorMode: 'value',
  graphMode: 'none',
  justifyMode: 'auto',
  showPercentChange: false,
  ...extra,
});
export const timeseriesOptions = (legend = true, tooltip: 'single' | 'multi' = 'multi') => ({
  legend: { showLegend: legend, displayMode: 'list', placement: 'bottom', calcs: [] },
  tooltip: { mode: tooltip, sort: 'none' },
});
export const seriesCustom = (drawStyle: 'line' | 'bars', stacked = false) => ({
  drawStyle,
  lineWidth: drawStyle === 'bars' ? 1 : 2,
  fillOpacity: drawStyle === 'bars' ? 80 : 10,
  gradientMode: 'none',
  showPoints: 'never',
  spanNulls: false,
  axisPlacement: 'auto',
  axisSoftMin: 0,
  stacking: { mode: stacked ? 'normal' : 'none', group: 'A' },
  thresholdsStyle: { mode: 'off' },
});
export const tableOptions = () => ({ showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], countRows: false, fields: '' } });

/** A metric over the whole selected range, coloured by its target, the target shown as its label. */
export function kpiStat(ctx: Ctx, m: MetricDefinition, filters: readonly VarFilter[], size: { w: number; h: number } = { w: 4, h: 4 }): PanelSpec {
  const target = ctx.targets[m.id];
  return {
    kind: 'panel',
    type: 'stat',
    title: metricName(m),
    description: metricDescription(m, target),
    ...size,
    metrics: [m.id],
    queries: [{ refId: 'A', sql: rangeValuesSql({ db: ctx.db, metrics: [m], filters }), format: 'table', columns: [m.id], requiresData: true, nonNull: [m.id] }],
    fieldConfig: (lang) => ({
      defaults: {
        ...unitDefaults(m),
        color: { mode: 'thresholds' },
        thresholds: thresholds(m, target),
        displayName: target === undefined ? metricName(m)[lang] : `${L.target[lang]} ${formatTarget(m, target, lang)}`,
        noValue: '—',
      },
      overrides: [],
    }),
    options: () => statPanelOptions(target === undefined ? 'value' : 'value_and_name'),
  };
}

/** Today vs yesterday vs the same day last week, each up to the same time of day. */
export function comparisonStat(ctx: Ctx, m: MetricDefinition, filters: readonly VarFilter[], size: { w: number; h: number } = { w: 6, h: 4 }): PanelSpec {
  const target = ctx.targets[m.id];
  const base = metricDescription(m, target);
  return {
    kind: 'panel',
    type: 'stat',
    title: metricName(m),
    description: {
      en: `Today (the day of the end of the selected range, from local midnight) vs yesterday and the same day last week up to the same time of day. ${base.en}`,
      zh: `今天（所选时间范围结束时刻所在的日期，自零点起）与昨天、上周同日同一时刻之前的对比。${base.zh}`,
    },
    ...size,
    queries: [
      {
        refId: 'A',
        sql: comparisonSql({ db: ctx.db, metrics: [m], filters }),
        format: 'table',
        columns: ['today', 'yesterday', 'last_week'],
        requiresData: true,
        nonNull: ['today', 'yesterday', 'last_week'],
      },
    ],
    fieldConfig: (lang) => ({
      defaults: { ...unitDefaults(m), color: { mode: 'thresholds' }, thresholds: thresholds(m, target), noValue: '—' },
      overrides: [
        field('today', [{ id: 'displayName', value: L.today[lang] }]),
        field('yesterday', [{ id: 'displayName', value: L.yesterday[lang] }]),
        field('last_week', [{ id: 'displayName', value: L.lastWeek[lang] }]),
      ],
    }),
    options: () => statPanelOptions('value_and_name', { orientation: 'vertical' }),
  };
}

/** Metrics as time series, one point per panel interval; the target as a dashed line. */
export function trend(
  ctx: Ctx,
  title: Text,
  metrics: readonly MetricDefinition[],
  filters: readonly VarFilter[],
  opts: { w?: number; h?: number; sparkline?: boolean; description?: Text; bars?: boolean } = {},
): PanelSpec {
  const first = metrics[0]!;
  const single = metrics.length === 1;
  const target = single ? ctx.targets[first.id] : undefined;
  const description: Text =
    opts.description ??
    (single
      ? metricDescription(first, target)
      : {
          en: `Per panel interval: Σ numerator / Σ denominator of each metric over the buckets in the interval. ${metrics.map((m) => m.name.en).join(', ')}.`,
          zh: `每个时间间隔内按时间段汇总：各指标的 Σ分子 / Σ分母。${metrics.map((m) => m.name.zh).join('、')}。`,
        });
  return {
    kind: 'panel',
    type: 'timeseries',
    title,
    description,
    w: opts.w ?? 12,
    h: opts.h ?? 8,
    interval: '1m',
    metrics: metrics.map((m) => m.id),
    queries: [{ refId: 'A', sql: seriesSql({ db: ctx.db, metrics, filters }), format: 'timeSeries', columns: ['time', ...metrics.map((m) => m.id)], requiresData: true, nonNull: metrics.map((m) => m.id) }],
    fieldConfig: (lang) => ({
      defaults: {
        ...unitDefaults(first),
        color: { mode: 'palette-classic' },
        thresholds: thresholds(first, target),
        custom: {
          drawStyle: opts.bars ? 'bars' : 'line',
          lineWidth: opts.sparkline ? 1 : 2,
          fillOpacity: opts.sparkline ? 25 : opts.bars ? 80 : 10,
          gradientMode: opts.sparkline ? 'opacity' : 'none',
          showPoints: 'never',
          spanNulls: false,
          axisPlacement: opts.sparkline ? 'hidden' : 'auto',
          axisSoftMin: 0,
          stacking: { mode: 'none', group: 'A' },
          thresholdsStyle: { mode: target !== undefined ? 'dashed' : 'off' },
        },
      },
      overrides: metrics.map((m) => field(m.id, metricFieldProperties(m, ctx, lang, { thresholdsStyle: !single }))),
    }),
    options: () => timeseriesOptions(!opts.sparkline, single ? 'single' : 'multi'),
  };
}

const DIM_LABEL: Record<Dim, Text> = { business_unit: L.businessUnit, product: L.product, channel: L.channel };

/** Metrics by business unit, product or channel over the range; the dimension links to board `drillBoard` (a key), filtered. */
export function breakdown(
  ctx: Ctx,
  title: Text,
  dim: Dim,
  metrics: readonly MetricDefinition[],
  filters: readonly VarFilter[],
  opts: { w?: number; h?: number; limit?: number; drillBoard?: string; orderBy?: MetricDefinition } = {},
): PanelSpec {
  return {
    kind: 'panel',
    type: 'table',
    title,
    description: {
      en: `Each metric over the selected range per ${DIM_LABEL[dim].en.toLowerCase()}: Σ numerator / Σ denominator of its buckets.${opts.limit ? ` Top ${opts.limit}.` : ''}${opts.drillBoard ? ' Click a value to filter the board.' : ''}`,
      zh: `所选时间范围内按${DIM_LABEL[dim].zh}汇总的各指标（Σ分子 / Σ分母）。${opts.limit ? `前 ${opts.limit} 名。` : ''}${opts.drillBoard ? '点击数值可按其筛选看板。' : ''}`,
    },
    w: opts.w ?? 24,
    h: opts.h ?? 8,
    metrics: metrics.map((m) => m.id),
    queries: [
      {
        refId: 'A',
        sql: breakdownSql({ db: ctx.db, metrics, filters, dim, ...(opts.limit ? { limit: opts.limit } : {}), ...(opts.orderBy ? { orderBy: opts.orderBy } : {}) }),
        format: 'table',
        columns: [dim, ...metrics.map((m) => m.id)],
        requiresData: true,
      },
    ],
    fieldConfig: (lang) => ({
      defaults: { custom: { align: 'auto', cellOptions: { type: 'auto' } }, noValue: '—' },
      overrides: [
        field(dim, [
          { id: 'displayName', value: DIM_LABEL[dim][lang] },
          ...(opts.drillBoard ? [{ id: 'links', value: [{ title: lang === 'zh' ? '按此筛选' : 'Filter the board', url: `/d/${uidOf({ key: opts.drillBoard }, lang)}?var-${dim}=\${__value.raw}&\${__url_time_range}` }] }] : []),
        ]),
        ...metrics.map((m) => field(m.id, metricFieldProperties(m, ctx, lang, { cellColor: true }))),
      ],
    }),
    options: tableOptions,
  };
}

/** A panel on hand-written SQL. */
export function sqlPanel(spec: {
  type: PanelType;
  title: Text;
  description: Text;
  w: number;
  h: number;
  queries: readonly QuerySpec[];
  defaults?: (lang: Lang) => FieldConfig;
  overrides?: (lang: Lang) => FieldConfigOverride[];
  options: (lang: Lang) => Record<string, unknown>;
  interval?: string;
  metrics?: readonly MetricId[];
}): PanelSpec {
  return {
    kind: 'panel',
    type: spec.type,
    title: spec.title,
    description: spec.description,
    w: spec.w,
    h: spec.h,
    queries: spec.queries,
    fieldConfig: (lang): FieldConfigSource => ({ defaults: spec.defaults?.(lang) ?? {}, overrides: spec.overrides?.(lang) ?? [] }),
    options: spec.options,
    ...(spec.interval ? { interval: spec.interval } : {}),
    ...(spec.metrics ? { metrics: spec.metrics } : {}),
  };
}
