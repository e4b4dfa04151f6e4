/** Proactive outreach: retention by campaign (cs.outreach_outcomes) and by business unit (cs.metrics). */
import type { BoardSpec } from '../board.ts';
import { PanelBuilder as BarChartPanel } from '@grafana/grafana-foundation-sdk/barchart';
import { AxisPlacement, GraphGradientMode, StackingMode, VisibilityMode, VizOrientation } from '@grafana/grafana-foundation-sdk/common';
import { byThresholds, fixedColor, palette } from '../grafana.ts';
import { breakdown, field, kpiStat, legendBelow, row, seriesStyle, sqlPanel, statVisual, tableVisual, thresholds, timeseriesVisual, tooltipOf, trend, type Ctx } from '../panels.ts';
import { DIM_FILTERS, RANGE_GRAIN, andConditions, m } from '../sql.ts';
import { L, metricName, t, type Lang } from '../text.ts';
import { dimensionVariables } from './common.ts';

export function outreachBoard(ctx: Ctx): BoardSpec {
  const key = 'outreach';
  const f = DIM_FILTERS;
  const rate = m('outreach_retention_rate');
  const target = ctx.targets[rate.id];
  const cond = andConditions(f);
  // Table alias `o`: `o.retained` is the column even where the result has a column named `retained`.
  const outcomes = `FROM ${ctx.db}.outreach_outcomes AS o FINAL\nWHERE $__timeFilter(contacted_at)${cond}`;
  const allNames = (lang: Lang) => [
    field('campaign', [{ id: 'displayName', value: L.campaign[lang] }]),
    field('decided', [{ id: 'displayName', value: lang === 'zh' ? '已有结果' : 'Decided' }]),
    field('retained', [{ id: 'displayName', value: lang === 'zh' ? '挽留成功' : 'Retained' }]),
    field('churned', [{ id: 'displayName', value: lang === 'zh' ? '流失' : 'Churned' }]),
    field('no_outcome', [{ id: 'displayName', value: lang === 'zh' ? '窗口内无结果' : 'No outcome in window' }]),
    field('retention_rate', [
      { id: 'displayName', value: metricName(rate)[lang] },
      { id: 'unit', value: 'percentunit' },
      { id: 'decimals', value: 1 },
      ...(target !== undefined ? [{ id: 'thresholds', value: thresholds(rate, target).build() }, { id: 'custom.cellOptions', value: { type: 'color-text' } }] : []),
    ]),
  ];
  /** Display names (and the rate's unit) of the columns a panel returns. */
  const names = (...columns: string[]) => (lang: Lang) => allNames(lang).filter((o) => columns.includes(o.matcher.options as string));
  const byCampaignSql =
    `SELECT\n  campaign,\n  count() AS decided,\n  countIf(o.retained) AS retained,\n  countIf(outcome = 'CHURNED') AS churned,\n  countIf(outcome = 'NONE') AS no_outcome,\n` +
    `  countIf(o.retained) / count() AS retention_rate\n${outcomes}\nGROUP BY campaign\nORDER BY retention_rate DESC, campaign`;
  return {
    key,
    file: 'proactive-outreach',
    title: t('Proactive outreach', '主动外呼'),
    description: t(
      'Retention of proactive outreach: an outreach is retained when the first outcome of its user within the retention window is RETAINED. By campaign (cs.outreach_outcomes, by CONTACTED time) and by business unit.',
      '主动外呼挽留：若用户在挽留窗口内的第一个结果为“挽留成功”，则该外呼计为挽留。按活动（cs.outreach_outcomes，按外呼时间）与业务单元统计。',
    ),
    tags: ['outreach'],
    time: { from: 'now-30d', to: 'now' },
    refresh: '5m',
    variables: dimensionVariables(ctx.db),
    items: [
      row(t('Retention', '挽留')),
      kpiStat(ctx, rate, f, { w: 8, h: 4 }),
      sqlPanel({
        title: t('Decided and retained outreaches', '已有结果与挽留成功的外呼'),
        description: t(
          'Outreaches CONTACTED in the selected range with a final outcome (the denominator of the retention rate) and those retained (its numerator).',
          '所选时间范围内外呼且已有最终结果的外呼数（挽留率的分母）及挽留成功数（分子）。',
        ),
        w: 8,
        h: 4,
        queries: [
          {
            refId: 'A',
            sql: `SELECT\n  sum(denominator) AS decided,\n  sum(numerator) AS retained\nFROM ${ctx.db}.metrics\nWHERE grain = ${RANGE_GRAIN}\n  AND $__timeFilter(bucket)\n  AND metric = 'outreach_retention_rate'${cond}`,
            format: 'table',
            columns: ['decided', 'retained'],
            requiresData: true,
            nonNull: ['decided'],
          },
        ],
        visual: (lang) => statVisual('value_and_name', 'vertical').unit('short').decimals(0).colorScheme(fixedColor('blue')).overrides(names('decided', 'retained')(lang)),
        metrics: [rate.id],
      }),
      sqlPanel({
        title: t('No outcome within the window', '窗口内无结果'),
        description: t(
          'Share of decided outreaches whose user had neither RETAINED nor CHURNED within the retention window (counted as not retained).',
          '已有结果的外呼中，用户在挽留窗口内既无“挽留成功”也无“流失”的占比（计为未挽留）。',
        ),
        w: 8,
        h: 4,
        queries: [{ refId: 'A', sql: `SELECT\n  countIf(outcome = 'NONE') / nullIf(count(), 0) AS no_outcome_share\n${outcomes}`, format: 'table', columns: ['no_outcome_share'], requiresData: true, nonNull: ['no_outcome_share'] }],
        visual: () => statVisual('value').unit('percentunit').decimals(1).colorScheme(fixedColor('blue')),
      }),
      row(t('By campaign', '按活动')),
      sqlPanel({
        title: t('Retention by campaign', '按活动的挽留率'),
        description: t(
          'Decided outreaches CONTACTED in the selected range, per campaign: retained, churned, no outcome within the window, and retention rate = retained / decided.',
          '所选时间范围内外呼且已有结果的外呼按活动统计：挽留成功、流失、窗口内无结果，挽留率 = 挽留成功 / 已有结果。',
        ),
        w: 14,
        h: 9,
        queries: [{ refId: 'A', sql: byCampaignSql, format: 'table', columns: ['campaign', 'decided', 'retained', 'churned', 'no_outcome', 'retention_rate'], requiresData: true }],
        visual: (lang) => tableVisual().overrides(names('campaign', 'decided', 'retained', 'churned', 'no_outcome', 'retention_rate')(lang)),
      }),
      sqlPanel({
        title: t('Retention rate by campaign', '各活动挽留率'),
        description: t('Retention rate = retained / decided outreaches per campaign, over the selected range.', '所选时间范围内各活动的挽留率 = 挽留成功 / 已有结果。'),
        w: 10,
        h: 9,
        queries: [
          {
            refId: 'A',
            sql: `SELECT\n  campaign,\n  countIf(o.retained) / count() AS retention_rate\n${outcomes}\nGROUP BY campaign\nORDER BY retention_rate DESC, campaign`,
            format: 'table',
            columns: ['campaign', 'retention_rate'],
            requiresData: true,
          },
        ],
        visual: (lang) =>
          new BarChartPanel()
            .unit('percentunit')
            .decimals(1)
            .min(0)
            .max(1)
            .colorScheme(target !== undefined ? byThresholds() : palette())
            .thresholds(thresholds(rate, target))
            .fillOpacity(80)
            .lineWidth(1)
            .gradientMode(GraphGradientMode.None)
            .axisPlacement(AxisPlacement.Auto)
            .overrides(names('campaign', 'retention_rate')(lang))
            .xField('campaign')
            .orientation(VizOrientation.Horizontal)
            .barWidth(0.8)
            .groupWidth(0.7)
            .showValue(VisibilityMode.Auto)
            .stacking(StackingMode.None)
            .xTickLabelRotation(0)
            .legend(legendBelow(false))
            .tooltip(tooltipOf('single')),
      }),
      sqlPanel({
        title: t('Retention rate by campaign over time', '各活动挽留率趋势'),
        description: t('Per panel interval (by CONTACTED time): retained / decided outreaches of each campaign.', '每个时间间隔内（按外呼时间）各活动的挽留成功 / 已有结果。'),
        w: 12,
        h: 8,
        interval: '1h',
        queries: [
          {
            refId: 'A',
            sql: `SELECT\n  $__timeInterval(contacted_at) AS time,\n  campaign,\n  countIf(o.retained) / count() AS retention_rate\n${outcomes}\nGROUP BY time, campaign\nORDER BY time`,
            format: 'timeSeries',
            columns: ['time', 'campaign', 'retention_rate'],
            requiresData: true,
          },
        ],
        visual: () => seriesStyle(timeseriesVisual(), 'line').showPoints(VisibilityMode.Auto).unit('percentunit').decimals(1).colorScheme(palette()),
      }),
      trend(ctx, metricName(rate), [rate], f, { w: 12 }),
      row(t('By business unit and channel', '按业务单元与渠道')),
      breakdown(ctx, t('Retention by business unit', '按业务单元的挽留率'), 'business_unit', [rate], f, { w: 12, h: 8, drillBoard: key }),
      breakdown(ctx, t('Retention by channel', '按渠道的挽留率'), 'channel', [rate], f, { w: 12, h: 8, drillBoard: key }),
    ],
  };
}
