/** Self-service and bots: share, transfer, resolution, voice-bot recognition, confirmation, turns, predictions. */
import type { BoardSpec } from '../board.ts';
import { breakdown, kpiStat, row, trend, type Ctx } from '../panels.ts';
import { DIM_FILTERS, m, metricsOf } from '../sql.ts';
import { metricName, t } from '../text.ts';
import { dimensionVariables } from './common.ts';

export function selfServiceBoard(ctx: Ctx): BoardSpec {
  const key = 'selfservice';
  const f = DIM_FILTERS;
  const selfService = metricsOf(['self_service_share', 'self_service_transfer_rate', 'self_service_resolution_rate', 'fcr_rate', 'prediction_hit_rate', 'contacts']);
  const voicebot = metricsOf(['voicebot_recognition_coverage', 'voicebot_confirmation_rate', 'voicebot_avg_turns']);
  // Breakdowns show the rates: every metric above but contacts.
  const rates = [...selfService.filter((metric) => metric.id !== 'contacts'), ...voicebot];
  return {
    key,
    file: 'self-service-and-bots',
    title: t('Self-service and bots', '自助服务与机器人'),
    description: t(
      'Self-service share, transfers to agents, self-service resolution, voice-bot recognition coverage, confirmation and turns, and prediction hit rate.',
      '自助服务占比、转人工、自助解决、语音机器人识别覆盖率、确认率与轮次，以及“猜你想问”命中率。',
    ),
    tags: ['self-service'],
    time: { from: 'now-24h', to: 'now' },
    refresh: '1m',
    variables: dimensionVariables(ctx.db),
    items: [
      row(t('Self-service', '自助服务')),
      ...selfService.map((metric) => kpiStat(ctx, metric, f)),
      row(t('Voice bot', '语音机器人')),
      ...voicebot.map((metric) => kpiStat(ctx, metric, f, { w: 8, h: 4 })),
      row(t('Trends', '趋势')),
      trend(ctx, t('Self-service share and resolution', '自助服务占比与自助解决率'), [m('self_service_share'), m('self_service_resolution_rate'), m('fcr_rate')], f),
      trend(ctx, metricName(m('self_service_transfer_rate')), [m('self_service_transfer_rate')], f),
      trend(ctx, t('Voice-bot recognition and confirmation', '语音机器人识别与确认'), [m('voicebot_recognition_coverage'), m('voicebot_confirmation_rate')], f),
      trend(ctx, metricName(m('voicebot_avg_turns')), [m('voicebot_avg_turns')], f),
      trend(ctx, metricName(m('prediction_hit_rate')), [m('prediction_hit_rate')], f),
      trend(ctx, metricName(m('contacts')), [m('contacts')], f, { bars: true }),
      row(t('Breakdown', '细分')),
      breakdown(ctx, t('By channel', '按渠道'), 'channel', rates, f, { h: 6, drillBoard: key }),
      breakdown(ctx, t('By business unit', '按业务单元'), 'business_unit', rates, f, { h: 9, drillBoard: key }),
    ],
  };
}
