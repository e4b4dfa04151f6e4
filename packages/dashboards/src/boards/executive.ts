/** Executive overview: headline KPIs against targets, forecast accuracy, today vs yesterday vs last week, trends, drill-down. */
import { FORECAST_METRIC_IDS } from '@cs/catalog';
import type { BoardSpec } from '../board.ts';
import { FORECAST_METRIC_FILTERS, recentAccuracySql } from '../forecast-sql.ts';
import { breakdown, comparisonStat, kpiStat, metricStatVisual, row, sqlPanel, trend, type Ctx } from '../panels.ts';
import { DIM_FILTERS, m } from '../sql.ts';
import { metricDescription, metricName, t } from '../text.ts';
import { dimensionVariables } from './common.ts';

export const EXEC_HEADLINE = [
  'contacts',
  'self_service_share',
  'self_service_resolution_rate',
  'fcr_rate',
  'human_answer_rate',
  'service_level_20s',
  'online_aht_seconds',
  'human_aht_seconds',
  'satisfaction_top_box',
  'complaints_per_10k',
  'upheld_complaints_per_10k',
  'outreach_retention_rate',
] as const;

export const EXEC_CORE = ['contacts', 'self_service_share', 'fcr_rate', 'human_answer_rate', 'online_aht_seconds', 'satisfaction_top_box', 'complaints_per_10k', 'outreach_retention_rate'] as const;

export function executiveBoard(ctx: Ctx): BoardSpec {
  const key = 'exec';
  const f = DIM_FILTERS;
  const core = EXEC_CORE.map((id) => m(id));
  return {
    key,
    file: 'executive-overview',
    title: t('Executive overview', '管理层总览'),
    description: t(
      'Headline contact-centre KPIs against their targets, today vs yesterday vs the same day last week, trends and drill-down by business unit, product and channel.',
      '客服中心核心指标与目标对比、今天与昨天及上周同日对比、趋势，以及按业务单元、产品、渠道下钻。',
    ),
    tags: ['executive'],
    time: { from: 'now/d', to: 'now' },
    refresh: '1m',
    variables: dimensionVariables(ctx.db),
    items: [
      row(t('Headline KPIs over the selected range', '所选时间范围内的核心指标')),
      ...EXEC_HEADLINE.map((id) => kpiStat(ctx, m(id), f)),
      row(t('Volume forecast', '话务预测')),
      ...FORECAST_METRIC_IDS.map((id) => {
        const metric = m(id);
        const base = metricDescription(metric, ctx.targets[id]);
        return sqlPanel({
          title: t(`${metric.name.en}, 1 day ahead`, `${metric.name.zh}（提前 1 天）`),
          description: t(
            `The contact forecast issued the day before, over the 7 complete days before the day of the range end (the planning board has more). ${base.en}`,
            `前一天发布的进线预测，所选时间范围结束日之前的 7 个完整日（详见话务预测与计划看板）。${base.zh}`,
          ),
          w: 6,
          h: 4,
          metrics: [id],
          queries: [{ refId: 'A', sql: recentAccuracySql(ctx.db, id, 'h1d', FORECAST_METRIC_FILTERS), format: 'table', columns: [id], requiresData: true, nonNull: [id] }],
          visual: metricStatVisual(ctx, metric),
        });
      }),
      row(t('Today vs yesterday vs same day last week', '今天 vs 昨天 vs 上周同日')),
      ...core.map((metric) => comparisonStat(ctx, metric, f)),
      row(t('Trends', '趋势')),
      ...core.map((metric) => trend(ctx, metricName(metric), [metric], f, { w: 6, h: 5, sparkline: true })),
      row(t('Drill-down', '下钻')),
      breakdown(ctx, t('By business unit', '按业务单元'), 'business_unit', core, f, { h: 9, drillBoard: key }),
      breakdown(ctx, t('By channel', '按渠道'), 'channel', core, f, { w: 24, h: 6, drillBoard: key }),
      breakdown(ctx, t('Top products by contacts', '进线量最高的产品'), 'product', core, f, { w: 24, h: 10, limit: 20, drillBoard: key }),
    ],
  };
}
