/** Quality: satisfaction, self-service satisfaction, QA, complaints and upheld complaints per 10k. */
import type { MetricId } from '@cs/catalog';
import type { BoardSpec } from '../board.ts';
import { breakdown, field, kpiStat, row, sqlPanel, tableVisual, trend, type Ctx } from '../panels.ts';
import { DIM_FILTERS, andConditions, m } from '../sql.ts';
import { metricName, t } from '../text.ts';
import { dimensionVariables } from './common.ts';

export function qualityBoard(ctx: Ctx): BoardSpec {
  const key = 'quality';
  const f = DIM_FILTERS;
  const ids: MetricId[] = ['satisfaction_top_box', 'self_service_satisfaction', 'qa_avg_score', 'qa_pass_rate', 'complaints_per_10k', 'upheld_complaints_per_10k'];
  const cond = andConditions(f);
  return {
    key,
    file: 'quality',
    title: t('Quality', '服务质量'),
    description: t(
      'Customer satisfaction (top box), self-service satisfaction, quality-assurance scores and pass rate, complaints and upheld complaints per 10,000 contacts.',
      '客户满意度（非常满意占比）、自助服务满意度、质检分数与合格率、万人投诉率与万人有效投诉率。',
    ),
    tags: ['quality'],
    time: { from: 'now-24h', to: 'now' },
    refresh: '1m',
    variables: dimensionVariables(ctx.db),
    items: [
      row(t('Quality KPIs', '质量指标')),
      ...ids.map((id) => kpiStat(ctx, m(id), f)),
      row(t('Trends', '趋势')),
      trend(ctx, t('Satisfaction', '满意度'), [m('satisfaction_top_box'), m('self_service_satisfaction')], f),
      trend(ctx, t('Complaints per 10k contacts', '万人投诉率'), [m('complaints_per_10k'), m('upheld_complaints_per_10k')], f),
      trend(ctx, metricName(m('qa_avg_score')), [m('qa_avg_score')], f),
      trend(ctx, metricName(m('qa_pass_rate')), [m('qa_pass_rate')], f),
      row(t('Breakdown', '细分')),
      breakdown(ctx, t('By business unit', '按业务单元'), 'business_unit', ids.map(m), f, { h: 9, drillBoard: key }),
      breakdown(ctx, t('By channel', '按渠道'), 'channel', ids.map(m), f, { w: 14, h: 7, drillBoard: key }),
      sqlPanel({
        title: t('Complaints filed by category', '按类别的投诉'),
        description: t(
          'Complaints FILED in the selected range (raw events, by event time) per category; external = raised with a regulator.',
          '所选时间范围内提交（FILED）的投诉数（原始事件，按事件时间）按类别统计；外部投诉 = 向监管机构提出。',
        ),
        w: 10,
        h: 7,
        queries: [
          {
            refId: 'A',
            sql:
              `SELECT\n  category,\n  count() AS filed,\n  countIf(external) AS external\nFROM ${ctx.db}.raw_complaints\n` +
              `WHERE type = 'FILED'\n  AND $__timeFilter(event_time)${cond}\nGROUP BY category\nORDER BY filed DESC, category`,
            format: 'table',
            columns: ['category', 'filed', 'external'],
            // Complaints are rare (a few per 10,000 contacts): a quiet range legitimately has none.
            requiresData: false,
          },
        ],
        visual: (lang) =>
          tableVisual().overrides([
            field('category', [{ id: 'displayName', value: lang === 'zh' ? '类别' : 'Category' }]),
            field('filed', [{ id: 'displayName', value: lang === 'zh' ? '投诉数' : 'Filed' }]),
            field('external', [{ id: 'displayName', value: lang === 'zh' ? '外部投诉' : 'External' }]),
          ]),
      }),
    ],
  };
}
