/**
 * The metric catalog: SPEC §6, once, in code. The cs.metrics view, the docs and the dashboards
 * are generated from it; a processor computes each metric's numerator and denominator.
 */
export type MetricKind = 'ratio' | 'count';
export type Attribution = 'contact_start' | 'call_offered' | 'survey_responded' | 'complaint_filed' | 'outreach_contacted' | 'qa_reviewed' | 'agent_logged_in' | 'forecast_day';
export type Direction = 'higher_is_better' | 'lower_is_better' | 'neutral';
export type Unit = 'contacts' | 'ratio' | 'seconds' | 'turns' | 'per_10k' | 'points' | 'hours' | 'agents';

/** What a catalog entry declares; MetricDefinition is the same with the id narrowed to MetricId. */
export interface MetricSpec {
  id: string;
  name: { en: string; zh: string };
  unit: Unit;
  kind: MetricKind;
  /** value = numerator / denominator × scale (for count metrics value = numerator). */
  scale: number;
  numerator: string;
  denominator: string;
  attribution: Attribution;
  direction: Direction;
  /**
   * Default target, overridable with CS_TARGET_<ID>=<number>: the figures SPEC and the source
   * operation state. Complaints per 10k has none (no figure is stated anywhere): a deployment sets
   * CS_TARGET_COMPLAINTS_PER_10K.
   */
  target?: number;
  definition: string;
}

export interface MetricDefinition extends MetricSpec {
  id: MetricId;
}

// Generic in the id: each entry keeps its literal id, and MetricId is the union of them.
type Entry<Id extends string> = MetricSpec & { id: Id };
const ratio = <const Id extends string>(m: Omit<Entry<Id>, 'kind' | 'scale'> & { scale?: number }): Entry<Id> => ({ kind: 'ratio', scale: 1, ...m });
const count = <const Id extends string>(m: Omit<Entry<Id>, 'kind' | 'scale' | 'denominator'>): Entry<Id> => ({ kind: 'count', scale: 1, denominator: '1', ...m });

export const METRICS = [
  count({ id: 'contacts', name: { en: 'Contacts', zh: '进线量' }, unit: 'contacts', numerator: 'contacts started', attribution: 'contact_start', direction: 'neutral', definition: 'Contacts (sessions) started in the bucket.' }),
  ratio({ id: 'self_service_share', name: { en: 'Self-service share', zh: '自助服务占比' }, unit: 'ratio', numerator: 'ended self-service contacts', denominator: 'ended contacts', attribution: 'contact_start', direction: 'higher_is_better', target: 0.97, definition: 'Share of ended contacts that entered self-service and were not transferred to an agent.' }),
  ratio({ id: 'self_service_transfer_rate', name: { en: 'Self-service transfer rate', zh: '自助转人工率' }, unit: 'ratio', numerator: 'ended self-service-entry contacts that transferred', denominator: 'ended self-service-entry contacts', attribution: 'contact_start', direction: 'lower_is_better', definition: 'Share of ended self-service-entry contacts that were transferred to an agent.' }),
  ratio({ id: 'fcr_rate', name: { en: 'First-contact resolution', zh: '首次解决率' }, unit: 'ratio', numerator: 'contacts FCR-resolved', denominator: 'contacts whose FCR window closed', attribution: 'contact_start', direction: 'higher_is_better', target: 0.907, definition: 'Share of contacts with no other contact of the same user and product within the FCR window after them.' }),
  ratio({ id: 'self_service_resolution_rate', name: { en: 'Self-service resolution rate', zh: '自助解决率' }, unit: 'ratio', numerator: 'self-service contacts FCR-resolved', denominator: 'self-service contacts whose FCR window closed', attribution: 'contact_start', direction: 'higher_is_better', definition: 'First-contact resolution among self-service contacts.' }),
  ratio({ id: 'online_aht_seconds', name: { en: 'Online average handling time', zh: '在线平均处理时长' }, unit: 'seconds', numerator: 'Σ (end − start) s of ended online contacts', denominator: 'ended online contacts', attribution: 'contact_start', direction: 'lower_is_better', target: 80, definition: 'Mean duration of ended contacts on online channels (every channel except HOTLINE).' }),
  ratio({ id: 'voicebot_recognition_coverage', name: { en: 'Voice-bot recognition coverage', zh: '语音机器人识别覆盖率' }, unit: 'ratio', numerator: 'ended HOTLINE self-service-entry contacts with ≥1 QUESTION_RECOGNIZED', denominator: 'ended HOTLINE self-service-entry contacts', attribution: 'contact_start', direction: 'higher_is_better', target: 0.9, definition: 'Share of voice-bot contacts where at least one question was recognized.' }),
  ratio({ id: 'voicebot_confirmation_rate', name: { en: 'Voice-bot confirmation rate', zh: '语音机器人确认率' }, unit: 'ratio', numerator: 'ended HOTLINE self-service-entry contacts with ≥1 QUESTION_CONFIRMED', denominator: 'ended HOTLINE self-service-entry contacts with ≥1 QUESTION_RECOGNIZED', attribution: 'contact_start', direction: 'higher_is_better', target: 0.7, definition: 'Share of voice-bot contacts with a recognized question where the caller confirmed it.' }),
  ratio({ id: 'voicebot_avg_turns', name: { en: 'Voice-bot average turns', zh: '语音机器人平均轮次' }, unit: 'turns', numerator: 'Σ BOT_TURN in ended HOTLINE self-service-entry contacts', denominator: 'ended HOTLINE self-service-entry contacts', attribution: 'contact_start', direction: 'lower_is_better', target: 2.1, definition: 'Mean number of bot turns per voice-bot contact.' }),
  ratio({ id: 'prediction_hit_rate', name: { en: 'Prediction hit rate', zh: '猜你想问命中率' }, unit: 'ratio', numerator: 'ended contacts with PREDICTION_SHOWN and PREDICTION_CLICKED', denominator: 'ended contacts with PREDICTION_SHOWN', attribution: 'contact_start', direction: 'higher_is_better', definition: 'Share of contacts shown a predicted question that clicked it.' }),
  ratio({ id: 'human_answer_rate', name: { en: 'Human answer rate', zh: '人工接通率' }, unit: 'ratio', numerator: 'calls ANSWERED', denominator: 'calls OFFERED', attribution: 'call_offered', direction: 'higher_is_better', target: 0.99, definition: 'Share of offered calls answered by an agent.' }),
  ratio({ id: 'service_level_20s', name: { en: 'Service level (20 s)', zh: '20秒服务水平' }, unit: 'ratio', numerator: 'calls ANSWERED with wait_ms ≤ 20000', denominator: 'calls OFFERED', attribution: 'call_offered', direction: 'higher_is_better', definition: 'Share of offered calls answered within 20 seconds.' }),
  ratio({ id: 'abandon_rate', name: { en: 'Abandon rate', zh: '放弃率' }, unit: 'ratio', numerator: 'calls ABANDONED', denominator: 'calls OFFERED', attribution: 'call_offered', direction: 'lower_is_better', definition: 'Share of offered calls abandoned before an answer.' }),
  ratio({ id: 'human_aht_seconds', name: { en: 'Human average handling time', zh: '人工平均处理时长' }, unit: 'seconds', numerator: 'Σ (talk+hold+acw) s of ENDED answered calls', denominator: 'ENDED answered calls', attribution: 'call_offered', direction: 'lower_is_better', target: 300, definition: 'Mean talk + hold + after-call work of answered calls that ended.' }),
  ratio({ id: 'satisfaction_top_box', name: { en: 'Satisfaction (top box)', zh: '满意度（非常满意占比）' }, unit: 'ratio', numerator: 'valid responses with score 5', denominator: 'valid responses', attribution: 'survey_responded', direction: 'higher_is_better', target: 0.8, definition: 'Share of valid survey responses scoring 5.' }),
  ratio({ id: 'self_service_satisfaction', name: { en: 'Self-service satisfaction', zh: '自助服务满意度' }, unit: 'ratio', numerator: 'valid responses with score 5, handled_by = SELF_SERVICE', denominator: 'valid responses, handled_by = SELF_SERVICE', attribution: 'survey_responded', direction: 'higher_is_better', definition: 'Top-box share among valid responses for self-service contacts.' }),
  ratio({ id: 'complaints_per_10k', name: { en: 'Complaints per 10k contacts', zh: '万人投诉率' }, unit: 'per_10k', scale: 10000, numerator: 'complaints FILED', denominator: 'contacts started', attribution: 'complaint_filed', direction: 'lower_is_better', definition: 'Complaints filed per 10,000 contacts started.' }),
  ratio({ id: 'upheld_complaints_per_10k', name: { en: 'Upheld complaints per 10k contacts', zh: '万人有效投诉率' }, unit: 'per_10k', scale: 10000, numerator: 'complaints UPHELD (in the FILED bucket)', denominator: 'contacts started', attribution: 'complaint_filed', direction: 'lower_is_better', definition: 'Complaints upheld per 10,000 contacts started, counted in the bucket the complaint was filed.' }),
  ratio({ id: 'outreach_retention_rate', name: { en: 'Proactive outreach retention', zh: '主动外呼挽留率' }, unit: 'ratio', numerator: 'CONTACTED outreaches whose user is RETAINED within the retention window', denominator: 'CONTACTED outreaches with a final outcome', attribution: 'outreach_contacted', direction: 'higher_is_better', definition: 'Share of contacted outreaches whose first outcome within the window is RETAINED.' }),
  ratio({ id: 'qa_avg_score', name: { en: 'QA average score', zh: '质检平均分' }, unit: 'points', numerator: 'Σ score', denominator: 'reviews', attribution: 'qa_reviewed', direction: 'higher_is_better', definition: 'Mean quality-assurance review score (0–100).' }),
  ratio({ id: 'qa_pass_rate', name: { en: 'QA pass rate', zh: '质检合格率' }, unit: 'ratio', numerator: 'reviews passed', denominator: 'reviews', attribution: 'qa_reviewed', direction: 'higher_is_better', definition: 'Share of quality-assurance reviews passed.' }),
  count({ id: 'staffed_hours', name: { en: 'Staffed hours', zh: '在岗工时' }, unit: 'hours', numerator: 'logged-in agent hours in the bucket, per site_type', attribution: 'agent_logged_in', direction: 'neutral', definition: 'Agent logged-in hours falling in the bucket; site_type in the product column.' }),
  count({ id: 'headcount', name: { en: 'Headcount', zh: '在岗人数' }, unit: 'agents', numerator: 'distinct agents logged in during the bucket, per site_type', attribution: 'agent_logged_in', direction: 'neutral', definition: 'Distinct agents logged in during the bucket; does not add up across buckets or business units.' }),
  ratio({ id: 'forecast_accuracy_daily', name: { en: 'Forecast accuracy (daily)', zh: '话务预测准确率（日）' }, unit: 'ratio', numerator: 'Σ actual − |Σ forecast − Σ actual| of contacts over the day', denominator: 'Σ actual contacts of the day', attribution: 'forecast_day', direction: 'higher_is_better', target: 0.96, definition: 'Daily contact-volume forecast accuracy, 1 − |ΣF − ΣA| / ΣA, of the forecast issued 1 day (product h1d) or 7 days (h7d) ahead (h1d_baseline, h7d_baseline: the seasonal-naive baseline); per business unit and channel, day grain only.' }),
  ratio({ id: 'forecast_wape_interval', name: { en: 'Forecast interval WAPE', zh: '时段预测加权绝对误差率' }, unit: 'ratio', numerator: 'Σ |forecast − actual| over the day’s 30-minute intervals', denominator: 'Σ actual contacts of the day', attribution: 'forecast_day', direction: 'lower_is_better', definition: 'Weighted absolute percentage error of the 30-minute contact forecast over a day, Σ|F − A| / ΣA, by horizon as forecast_accuracy_daily; per business unit and channel, day grain only.' }),
] as const satisfies readonly MetricSpec[];

/** A metric id of the catalog: a typo in a metric id is a compile error. */
export type MetricId = (typeof METRICS)[number]['id'];

/** The metrics the stream processor computes; the forecast-accuracy ones (attribution forecast_day) are scored by services/forecaster. */
export const PROCESSOR_METRICS: readonly MetricDefinition[] = METRICS.filter((m) => m.attribution !== 'forecast_day');
export const FORECAST_METRIC_IDS: readonly MetricId[] = METRICS.filter((m) => m.attribution === 'forecast_day').map((m) => m.id);

const BY_ID = new Map<string, MetricDefinition>(METRICS.map((m) => [m.id, m]));

export function metric(id: MetricId): MetricDefinition {
  const m = BY_ID.get(id);
  if (!m) throw new Error(`unknown metric "${id}"`);
  return m;
}

/** Targets from the catalog, overridden by CS_TARGET_<METRIC_ID> environment variables. */
export function targets(env: Record<string, string | undefined> = process.env): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of METRICS) {
    const override = env[`CS_TARGET_${m.id.toUpperCase()}`];
    const value = override !== undefined && override !== '' ? Number(override) : m.target;
    if (value !== undefined && Number.isFinite(value)) out[m.id] = value;
  }
  return out;
}
