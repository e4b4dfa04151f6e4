/** Panel factories: KPI stats, comparisons, trends, breakdowns, and plain SQL panels, on the SDK's visualization builders. */
import type { MetricDefinition, MetricId } from '@cs/catalog';
import {
  AxisPlacement,
  BigValueColorMode,
  BigValueGraphMode,
  BigValueJustifyMode,
  BigValueTextMode,
  FieldTextAlignment,
  GraphDrawStyle,
  GraphGradientMode,
  GraphThresholdsStyleConfigBuilder,
  GraphThresholdsStyleMode,
  LegendDisplayMode,
  LegendPlacement,
  ReduceDataOptionsBuilder,
  SortOrder,
  StackingConfigBuilder,
  StackingMode,
  TableCellDisplayMode,
  TableCellHeight,
  TableFooterOptionsBuilder,
  TooltipDisplayMode,
  VisibilityMode,
  VizLegendOptionsBuilder,
  VizOrientation,
  VizTooltipOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import { FieldColorModeId, type DynamicConfigValue } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { uidOf, type PanelSpec, type QuerySpec, type RowSpec } from './board.ts';
import { byThresholds, field, palette, thresholdSteps, type PanelBuilder } from './grafana.ts';
import { breakdownSql, comparisonSql, rangeValuesSql, seriesSql, type Dim, type VarFilter } from './sql.ts';
import { L, formatTarget, grafanaUnit, metricDescription, metricName, type Lang, type Text } from './text.ts';

export { field } from './grafana.ts';

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
export function thresholds(m: MetricDefinition, target: number | undefined) {
  if (target === undefined || m.direction === 'neutral') return thresholdSteps([{ value: null, color: NEUTRAL }]);
  return m.direction === 'higher_is_better'
    ? thresholdSteps([{ value: null, color: RED }, { value: target, color: GREEN }])
    : thresholdSteps([{ value: null, color: GREEN }, { value: target, color: RED }]);
}

/** Unit, decimals, thresholds and display name of a metric's column, as override properties. */
function metricFieldProperties(m: MetricDefinition, ctx: Ctx, lang: Lang, opts: { thresholdsStyle?: boolean; cellColor?: boolean } = {}) {
  const { unit, decimals } = grafanaUnit(m);
  const target = ctx.targets[m.id];
  const props: DynamicConfigValue[] = [
    { id: 'displayName', value: metricName(m)[lang] },
    { id: 'unit', value: unit },
  ];
  if (decimals !== undefined) props.push({ id: 'decimals', value: decimals });
  if (target !== undefined) {
    props.push({ id: 'thresholds', value: thresholds(m, target).build() });
    if (opts.thresholdsStyle) props.push({ id: 'custom.thresholdsStyle', value: { mode: GraphThresholdsStyleMode.Dashed } });
    if (opts.cellColor) {
      props.push({ id: 'color', value: { mode: FieldColorModeId.Thresholds } });
      props.push({ id: 'custom.cellOptions', value: { type: TableCellDisplayMode.ColorText } });
    }
  }
  return props;
}

/** A metric's unit and decimals on a panel builder. */
function withUnit<B extends { unit(u: string): B; decimals(d: number): B }>(builder: B, m: MetricDefinition): B {
  const { unit, decimals } = grafanaUnit(m);
  return decimals === undefined ? builder.unit(unit) : builder.unit(unit).decimals(decimals);
}

/** A stat showing the last non-null value of each column, coloured by value, no sparkline. */
export const statVisual = (textMode: `${BigValueTextMode}`, orientation: `${VizOrientation}` = 'auto') =>
  new StatPanel()
    .reduceOptions(new ReduceDataOptionsBuilder().values(false).calcs(['lastNotNull']).fields(''))
    .orientation(orientation as VizOrientation)
    .textMode(textMode as BigValueTextMode)
    .wideLayout(true)
    .colorMode(BigValueColorMode.Value)
    .graphMode(BigValueGraphMode.None)
    .justifyMode(BigValueJustifyMode.Auto)
    .showPercentChange(false);

/** A legend below the chart as a list, without calculations (or none). */
export const legendBelow = (show: boolean) => new VizLegendOptionsBuilder().showLegend(show).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom).calcs([]);
/** A tooltip of the hovered series (`single`) or of all (`multi`), in series order. */
export const tooltipOf = (mode: `${TooltipDisplayMode}`) => new VizTooltipOptionsBuilder().mode(mode as TooltipDisplayMode).sort(SortOrder.None);

export const timeseriesVisual = (legend = true, tooltip: `${TooltipDisplayMode}` = 'multi') => new TimeseriesPanel().legend(legendBelow(legend)).tooltip(tooltipOf(tooltip));

/** Lines or bars, optionally stacked, from 0, no points, gaps where there is no data. */
export const seriesStyle = (visual: TimeseriesPanel, drawStyle: 'line' | 'bars', opts: { stacked?: boolean; thresholds?: boolean } = {}) =>
  visual
    .drawStyle(drawStyle === 'bars' ? GraphDrawStyle.Bars : GraphDrawStyle.Line)
    .lineWidth(drawStyle === 'bars' ? 1 : 2)
    .fillOpacity(drawStyle === 'bars' ? 80 : 10)
    .gradientMode(GraphGradientMode.None)
    .showPoints(VisibilityMode.Never)
    .spanNulls(false)
    .axisPlacement(AxisPlacement.Auto)
    .axisSoftMin(0)
    .stacking(new StackingConfigBuilder().mode(opts.stacked ? StackingMode.Normal : StackingMode.None).group('A'))
    .thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(opts.thresholds ? GraphThresholdsStyleMode.Dashed : GraphThresholdsStyleMode.Off));

export const tableVisual = () =>
  new TablePanel().showHeader(true).cellHeight(TableCellHeight.Sm).footer(new TableFooterOptionsBuilder().show(false).reducer(['sum']).countRows(false));

/** A stat of one metric's figure (column `<metric id>`), coloured by its target, the target shown as its label. */
export const metricStatVisual = (ctx: Ctx, m: MetricDefinition) => (lang: Lang) => {
  const target = ctx.targets[m.id];
  return withUnit(statVisual(target === undefined ? 'value' : 'value_and_name'), m)
    .colorScheme(byThresholds())
    .thresholds(thresholds(m, target))
    .displayName(target === undefined ? metricName(m)[lang] : `${L.target[lang]} ${formatTarget(m, target, lang)}`)
    .noValue('—');
};

/** A metric over the whole selected range, coloured by its target, the target shown as its label. */
export function kpiStat(ctx: Ctx, m: MetricDefinition, filters: readonly VarFilter[], size: { w: number; h: number } = { w: 4, h: 4 }): PanelSpec {
  return {
    kind: 'panel',
    title: metricName(m),
    description: metricDescription(m, ctx.targets[m.id]),
    ...size,
    metrics: [m.id],
    queries: [{ refId: 'A', sql: rangeValuesSql({ db: ctx.db, metrics: [m], filters }), format: 'table', columns: [m.id], requiresData: true, nonNull: [m.id] }],
    visual: metricStatVisual(ctx, m),
  };
}

/** Today vs yesterday vs the same day last week, each up to the same time of day. */
export function comparisonStat(ctx: Ctx, m: MetricDefinition, filters: readonly VarFilter[], size: { w: number; h: number } = { w: 6, h: 4 }): PanelSpec {
  const target = ctx.targets[m.id];
  const base = metricDescription(m, target);
  return {
    kind: 'panel',
    title: metricName(m),
    description: {
      en: `Today (the day of the end of the selected range, from local midnight) vs yesterday and the same day last week up to the same time of day; "${L.provisional.en}": the share of today's figure that is still live and can change (not final). ${base.en}`,
      zh: `今天（所选时间范围结束时刻所在的日期，自零点起）与昨天、上周同日同一时刻之前的对比；“${L.provisional.zh}”：今天的数据中仍为实时、可能变化（尚未最终确定）的占比。${base.zh}`,
    },
    ...size,
    queries: [
      {
        refId: 'A',
        sql: comparisonSql({ db: ctx.db, metrics: [m], filters }),
        format: 'table',
        columns: ['today', 'yesterday', 'last_week', 'today_provisional'],
        requiresData: true,
        nonNull: ['today', 'yesterday', 'last_week', 'today_provisional'],
      },
    ],
    visual: (lang) =>
      withUnit(statVisual('value_and_name', 'vertical'), m)
        .colorScheme(byThresholds())
        .thresholds(thresholds(m, target))
        .noValue('—')
        .overrides([
          field('today', [{ id: 'displayName', value: L.today[lang] }]),
          field('yesterday', [{ id: 'displayName', value: L.yesterday[lang] }]),
          field('last_week', [{ id: 'displayName', value: L.lastWeek[lang] }]),
          field('today_provisional', [
            { id: 'displayName', value: L.provisional[lang] },
            { id: 'unit', value: 'percentunit' },
            { id: 'decimals', value: 0 },
            { id: 'color', value: { mode: FieldColorModeId.Fixed, fixedColor: 'text' } },
          ]),
        ]),
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
    title,
    description,
    w: opts.w ?? 12,
    h: opts.h ?? 8,
    interval: '1m',
    metrics: metrics.map((m) => m.id),
    queries: [{ refId: 'A', sql: seriesSql({ db: ctx.db, metrics, filters }), format: 'timeSeries', columns: ['time', ...metrics.map((m) => m.id)], requiresData: true, nonNull: metrics.map((m) => m.id) }],
    visual: (lang) => {
      const visual = withUnit(seriesStyle(timeseriesVisual(!opts.sparkline, single ? 'single' : 'multi'), opts.bars ? 'bars' : 'line', { thresholds: target !== undefined }), first)
        .colorScheme(palette())
        .thresholds(thresholds(first, target))
        .overrides(metrics.map((m) => field(m.id, metricFieldProperties(m, ctx, lang, { thresholdsStyle: !single }))));
      // A sparkline: thin, filled with an opacity gradient, no axis.
      return opts.sparkline ? visual.lineWidth(1).fillOpacity(25).gradientMode(GraphGradientMode.Opacity).axisPlacement(AxisPlacement.Hidden) : visual;
    },
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
    visual: (lang) =>
      tableVisual()
        .align(FieldTextAlignment.Auto)
        .cellOptions({ type: TableCellDisplayMode.Auto })
        .noValue('—')
        .overrides([
          field(dim, [
            { id: 'displayName', value: DIM_LABEL[dim][lang] },
            ...(opts.drillBoard ? [{ id: 'links', value: [{ title: lang === 'zh' ? '按此筛选' : 'Filter the board', url: `/d/${uidOf({ key: opts.drillBoard }, lang)}?var-${dim}=\${__value.raw}&\${__url_time_range}` }] }] : []),
          ]),
          ...metrics.map((m) => field(m.id, metricFieldProperties(m, ctx, lang, { cellColor: true }))),
        ]),
  };
}

/** A panel on hand-written SQL; `visual` is an SDK visualization builder (e.g. `statVisual(…)`) with its field config. */
export function sqlPanel(spec: {
  title: Text;
  description: Text;
  w: number;
  h: number;
  queries: readonly QuerySpec[];
  visual: (lang: Lang) => PanelBuilder;
  interval?: string;
  metrics?: readonly MetricId[];
}): PanelSpec {
  return {
    kind: 'panel',
    title: spec.title,
    description: spec.description,
    w: spec.w,
    h: spec.h,
    queries: spec.queries,
    visual: spec.visual,
    ...(spec.interval ? { interval: spec.interval } : {}),
    ...(spec.metrics ? { metrics: spec.metrics } : {}),
  };
}
