/**
 * Simplified Chinese for the catalog's English texts (definition, numerator, denominator), keyed by
 * metric id; the names are in the catalog entries (`name.zh`). Kept beside METRICS rather than in its
 * entries so the table stays readable; a metric without an entry here is a compile error.
 */
import type { MetricId } from './catalog.ts';

export interface ZhMetricText {
  definition: string;
  numerator: string;
  denominator: string;
}

export const ZH_METRIC_TEXT: Readonly<Record<MetricId, ZhMetricText>> = {
  contacts: { definition: '时间段内开始的联络（会话）数。', numerator: '开始的联络', denominator: '1' },
  self_service_share: { definition: '已结束联络中，经自助服务进入且未转人工的占比。', numerator: '已结束的自助服务联络', denominator: '已结束的联络' },
  self_service_transfer_rate: { definition: '经自助服务进入的已结束联络中转人工的占比。', numerator: '转人工的已结束自助入口联络', denominator: '已结束的自助入口联络' },
  fcr_rate: { definition: '同一用户同一产品在首次解决窗口内没有再次联络的联络占比。', numerator: '首次解决的联络', denominator: '首次解决窗口已关闭的联络' },
  self_service_resolution_rate: { definition: '自助服务联络的首次解决率。', numerator: '首次解决的自助服务联络', denominator: '首次解决窗口已关闭的自助服务联络' },
  online_aht_seconds: { definition: '在线渠道（热线以外的所有渠道）已结束联络的平均时长。', numerator: '已结束在线联络的时长之和（秒）', denominator: '已结束的在线联络' },
  voicebot_recognition_coverage: { definition: '语音机器人联络中至少识别出一个问题的占比。', numerator: '至少识别出一个问题的已结束热线自助入口联络', denominator: '已结束的热线自助入口联络' },
  voicebot_confirmation_rate: { definition: '识别出问题的语音机器人联络中，客户确认了问题的占比。', numerator: '至少确认一个问题的已结束热线自助入口联络', denominator: '至少识别出一个问题的已结束热线自助入口联络' },
  voicebot_avg_turns: { definition: '每个语音机器人联络的平均机器人轮次。', numerator: '已结束热线自助入口联络的机器人轮次之和', denominator: '已结束的热线自助入口联络' },
  prediction_hit_rate: { definition: '展示了“猜你想问”的联络中点击了预测问题的占比。', numerator: '展示并点击了预测问题的已结束联络', denominator: '展示了预测问题的已结束联络' },
  human_answer_rate: { definition: '进入人工队列的来电中被坐席接起的占比。', numerator: '接通的来电', denominator: '进线来电' },
  service_level_20s: { definition: '20 秒内接通的来电占进线来电的比例。', numerator: '等待不超过 20 秒即接通的来电', denominator: '进线来电' },
  abandon_rate: { definition: '接通前放弃的来电占比。', numerator: '放弃的来电', denominator: '进线来电' },
  human_aht_seconds: { definition: '已结束的接通来电的平均通话、保持与话后处理时长。', numerator: '通话 + 保持 + 话后处理时长之和（秒）', denominator: '已结束的接通来电' },
  satisfaction_top_box: { definition: '有效调查回复中打 5 分的占比。', numerator: '5 分的有效回复', denominator: '有效回复' },
  self_service_satisfaction: { definition: '自助服务联络的有效调查回复中打 5 分的占比。', numerator: '自助服务的 5 分有效回复', denominator: '自助服务的有效回复' },
  complaints_per_10k: { definition: '每一万次联络的投诉数。', numerator: '提交的投诉', denominator: '开始的联络' },
  upheld_complaints_per_10k: { definition: '每一万次联络的成立投诉数，计入投诉提交时所在的时间段。', numerator: '成立的投诉', denominator: '开始的联络' },
  outreach_retention_rate: { definition: '主动外呼中，挽留窗口内第一个结果为“挽留成功”的占比。', numerator: '挽留成功的外呼', denominator: '已有最终结果的外呼' },
  qa_avg_score: { definition: '质检平均分（0–100）。', numerator: '质检分数之和', denominator: '质检数' },
  qa_pass_rate: { definition: '质检合格的占比。', numerator: '合格的质检', denominator: '质检数' },
  staffed_hours: { definition: '时间段内坐席的登录工时；站点类型存于 product 列。', numerator: '登录工时', denominator: '1' },
  headcount: { definition: '时间段内登录过的不同坐席数；不能跨时间段或业务单元相加。', numerator: '登录过的不同坐席', denominator: '1' },
  forecast_accuracy_daily: {
    definition: '日进线量预测准确率 1 − |ΣF − ΣA| / ΣA，按提前 1 天（product 为 h1d）或 7 天（h7d）发布的预测计（h1d_baseline、h7d_baseline 为季节性朴素基线）；按业务单元与渠道，仅日粒度。',
    numerator: '当天 Σ实际 − |Σ预测 − Σ实际|',
    denominator: '当天 Σ实际进线量',
  },
  forecast_wape_interval: {
    definition: '当天各 30 分钟时段进线预测的加权绝对百分比误差 Σ|F − A| / ΣA，按提前期区分，同预测准确率；按业务单元与渠道，仅日粒度。',
    numerator: '当天各 30 分钟时段 Σ|预测 − 实际|',
    denominator: '当天 Σ实际进线量',
  },
};

/** The Chinese texts of a metric; throws for an id that is not a catalog metric. */
export function zhText(metricId: MetricId): ZhMetricText {
  const text = ZH_METRIC_TEXT[metricId];
  if (!text) throw new Error(`no Chinese text for metric "${metricId}" (packages/catalog/src/zh.ts)`);
  return text;
}
