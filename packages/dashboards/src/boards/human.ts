/** Human service: answer rate, service level, abandons, call volumes, AHT online vs human. */
import type { BoardSpec } from '../board.ts';
import { fixedColor, palette } from '../grafana.ts';
import { breakdown, field, kpiStat, row, seriesStyle, sqlPanel, statVisual, timeseriesVisual, trend, type Ctx } from '../panels.ts';
import { DIM_FILTERS, INTERVAL_GRAIN, RANGE_GRAIN, SERIES_TIME, andConditions, m, metricsOf } from '../sql.ts';
import { metricName, t, type Lang } from '../text.ts';
import { dimensionVariables } from './common.ts';

export function humanBoard(ctx: Ctx): BoardSpec {
  const key = 'human';
  const f = DIM_FILTERS;
  const cond = andConditions(f);
  const calls = metricsOf(['human_answer_rate', 'service_level_20s', 'abandon_rate', 'human_aht_seconds', 'online_aht_seconds']);
  // Calls offered = the denominator of human_answer_rate, answered = its numerator, abandoned = abandon_rate's numerator.
  const volumes = (grain: string) =>
    `  sumIf(denominator, metric = 'human_answer_rate') AS offered,\n  sumIf(numerator, metric = 'human_answer_rate') AS answered,\n  sumIf(numerator, metric = 'abandon_rate') AS abandoned\n` +
    `FROM ${ctx.db}.metrics\nWHERE grain = ${grain}\n  AND $__timeFilter(bucket)\n  AND metric IN ('human_answer_rate', 'abandon_rate')${cond}`;
  const volumeNames = (lang: Lang) => [
    field('offered', [{ id: 'displayName', value: lang === 'zh' ? '进线' : 'Offered' }]),
    field('answered', [{ id: 'displayName', value: lang === 'zh' ? '接通' : 'Answered' }]),
    field('abandoned', [{ id: 'displayName', value: lang === 'zh' ? '放弃' : 'Abandoned' }]),
  ];
  return {
    key,
    file: 'human-service',
    title: t('Human service', '人工服务'),
    description: t(
      'Agent-handled calls: answer rate, 20-second service level, abandons and volumes, and average handling time online vs human.',
      '人工来电：接通率、20 秒服务水平、放弃率与话务量，以及在线与人工平均处理时长对比。',
    ),
    tags: ['human-service'],
    time: { from: 'now-24h', to: 'now' },
    refresh: '1m',
    variables: dimensionVariables(ctx.db),
    items: [
      row(t('Calls', '来电')),
      ...calls.map((metric) => kpiStat(ctx, metric, f)),
      sqlPanel({
        title: t('Calls offered, answered, abandoned', '进线、接通、放弃来电'),
        description: t(
          'Calls offered to agents (the denominator of the answer rate), answered and abandoned, over the selected range, by the bucket of their OFFERED.',
          '所选时间范围内进入人工队列的来电（接通率的分母）、接通与放弃的来电数，按 OFFERED 所在时间段计。',
        ),
        w: 4,
        h: 4,
        queries: [{ refId: 'A', sql: `SELECT\n${volumes(RANGE_GRAIN)}`, format: 'table', columns: ['offered', 'answered', 'abandoned'], requiresData: true, nonNull: ['offered'] }],
        visual: (lang) => statVisual('value_and_name', 'vertical').unit('short').decimals(0).colorScheme(fixedColor('blue')).overrides(volumeNames(lang)),
      }),
      row(t('Trends', '趋势')),
      trend(ctx, metricName(m('human_answer_rate')), [m('human_answer_rate')], f),
      trend(ctx, t('Service level and abandons', '服务水平与放弃率'), [m('service_level_20s'), m('abandon_rate')], f),
      trend(ctx, t('Average handling time: online vs human', '平均处理时长：在线 vs 人工'), [m('online_aht_seconds'), m('human_aht_seconds')], f),
      sqlPanel({
        title: t('Call volumes', '话务量'),
        description: t('Calls offered, answered and abandoned per panel interval, by the bucket of their OFFERED.', '每个时间间隔内进线、接通与放弃的来电数，按 OFFERED 所在时间段计。'),
        w: 12,
        h: 8,
        interval: '1m',
        queries: [
          {
            refId: 'A',
            sql: `SELECT\n  ${SERIES_TIME} AS time,\n${volumes(INTERVAL_GRAIN)}\nGROUP BY time\nORDER BY time`,
            format: 'timeSeries',
            columns: ['time', 'offered', 'answered', 'abandoned'],
            requiresData: true,
            nonNull: ['offered'],
          },
        ],
        visual: (lang) => seriesStyle(timeseriesVisual(), 'bars').unit('short').decimals(0).colorScheme(palette()).overrides(volumeNames(lang)),
      }),
      row(t('Breakdown', '细分')),
      breakdown(ctx, t('By business unit', '按业务单元'), 'business_unit', calls, f, { h: 9, drillBoard: key }),
      breakdown(ctx, t('Average handling time by channel', '按渠道的平均处理时长'), 'channel', [m('online_aht_seconds'), m('human_aht_seconds')], f, { h: 6, drillBoard: key, orderBy: m('online_aht_seconds') }),
    ],
  };
}
