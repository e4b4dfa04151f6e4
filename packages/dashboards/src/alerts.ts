/**
 * Grafana alert rules (file provisioning, apiVersion 1), built with the foundation SDK's alerting
 * and expression builders:
 *
 * - one rule per catalog metric with a target, per business unit, on the live figures of cs.metrics:
 *   the minute buckets of the last 15 minutes (call metrics: ending 2 minutes ago, while the calls
 *   still queueing have an OFFERED but no answer yet), and for the metrics a window decides (FCR)
 *   the settled (`final`) hour buckets of the last two days; for the daily forecast accuracy, the
 *   latest day the forecaster scored (1 day ahead);
 * - the forecast band: per business unit, contacts of the last complete half hours outside the band
 *   of the day's plan (the "sudden swing" to react to);
 * - pipeline health: consumer lag, freshness of the live figures and the dead-letter rate, where
 *   no data is itself the alarm (noDataState Alerting): a stopped pipeline writes nothing.
 *
 * A minimum volume per business unit keeps small samples from alerting.
 */
import { METRICS, decidingWindow, sqlString, type MetricDefinition } from '@cs/catalog';
import { RAW_TABLES } from '@cs/storage';
import { QueryBuilder, RuleBuilder, type Query, type Rule } from '@grafana/grafana-foundation-sdk/alerting';
import { TypeThresholdBuilder, type TypeThreshold } from '@grafana/grafana-foundation-sdk/expr';
import { panelOfMetric, panelOfTitle, uidOf, type BoardSpec } from './board.ts';
import { BAND_PANEL_TITLE, accuracyAlertSql, bandDeviationSql } from './forecast-sql.ts';
import { DATASOURCE, clickHouseQuery, type ClickHouseQuery } from './grafana.ts';
import { FROM, TO } from './sql.ts';
import { formatTarget } from './text.ts';

export const ALERT_FOLDER = 'CS analytics';
export const ALERT_GROUP = 'cs-metric-targets';
export const BAND_ALERT_GROUP = 'cs-forecast-band';
export const PIPELINE_GROUP = 'cs-pipeline-health';

/** The data a rule evaluates: seconds before now, as Grafana's relativeTimeRange. */
export interface AlertWindow {
  from: number;
  to: number;
}

/** How a metric's rule reads cs.metrics. */
export interface AlertPlan {
  window: AlertWindow;
  grain: 'minute' | 'hour' | 'day';
  /** Only rows no event can change any more (`final`). */
  settledOnly: boolean;
  /** How long the breach must last before the rule fires. */
  for: string;
  /** The window in words, for the notification. */
  describe: { en: string; zh: string };
}

const LIVE: AlertPlan = { window: { from: 900, to: 0 }, grain: 'minute', settledOnly: false, for: '5m', describe: { en: 'last 15 min, live', zh: '最近 15 分钟，实时' } };
/** A call counts as offered at once but as answered only when an agent picks up: the last 2 minutes are still filling in. */
const CALLS: AlertPlan = { ...LIVE, window: { from: 1020, to: 120 }, describe: { en: '15 min ending 2 min ago, live', zh: '截至 2 分钟前的 15 分钟，实时' } };
/** A window decides these figures (SPEC §4): only settled hours give a verdict; they change hourly. */
const SETTLED: AlertPlan = { window: { from: 2 * 86400, to: 0 }, grain: 'hour', settledOnly: true, for: '0s', describe: { en: 'settled hours of the last 2 days', zh: '最近 2 天内已结算的小时' } };

/** The forecast accuracy is scored once per day (services/forecaster): the latest scored day of the last 3 days. */
const FORECAST_DAY: AlertPlan = {
  window: { from: 3 * 86400, to: 0 },
  grain: 'day',
  settledOnly: false,
  for: '0s',
  describe: { en: 'latest scored day, forecast 1 day ahead', zh: '最近一个已评分日，提前 1 天的预测' },
};

export function alertPlan(m: MetricDefinition): AlertPlan {
  if (m.attribution === 'forecast_day') return FORECAST_DAY;
  if (decidingWindow(m.id)) return SETTLED;
  return m.attribution === 'call_offered' ? CALLS : LIVE;
}

/** Fewest denominator units in the window for a business unit to be judged. */
export function minimumVolume(m: MetricDefinition): number {
  return m.unit === 'per_10k' ? 1000 : 20;
}

/** A query of a rule: SQL on the ClickHouse data source (A) or a server-side expression (C). */
export type RuleQuery = Omit<Query, 'refId' | 'relativeTimeRange' | 'model'> & { refId: string; relativeTimeRange: AlertWindow; model: ClickHouseQuery | TypeThreshold };

/**
 * A rule as a provisioning file holds it: the SDK's API model without what the file's group gives
 * (folder, group, org), with the fields every generated rule has.
 */
export type ProvisionedRule = Omit<Rule, 'folderUID' | 'ruleGroup' | 'orgID' | 'uid' | 'labels' | 'annotations' | 'data'> & {
  uid: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  data: RuleQuery[];
  dashboardUid?: string;
  panelId?: number;
};

export interface RuleGroup {
  orgId: number;
  name: string;
  folder: string;
  interval: string;
  rules: ProvisionedRule[];
}

export interface AlertRuleFile {
  apiVersion: 1;
  groups: RuleGroup[];
}

export function alertSql(db: string, m: MetricDefinition): string {
  if (m.attribution === 'forecast_day') return accuracyAlertSql(db, m.id, minimumVolume(m));
  const plan = alertPlan(m);
  const scale = m.scale === 1 ? '' : ` * ${m.scale}`;
  return [
    'SELECT',
    '  business_unit,',
    `  sum(numerator) / sum(denominator)${scale} AS value`,
    `FROM ${db}.metrics`,
    `WHERE grain = '${plan.grain}'`,
    `  AND metric = ${sqlString(m.id)}`,
    ...(plan.settledOnly ? ['  AND final'] : []),
    '  AND $__timeFilter(bucket)',
    'GROUP BY business_unit',
    `HAVING sum(denominator) >= ${minimumVolume(m)}`,
    'ORDER BY business_unit',
  ].join('\n');
}

function valueTemplate(m: MetricDefinition): string {
  switch (m.unit) {
    case 'ratio':
      return '{{ humanizePercentage $values.A.Value }}';
    case 'seconds':
      return '{{ printf "%.0f" $values.A.Value }} s';
    default:
      return '{{ printf "%.2f" $values.A.Value }}';
  }
}

/** Metrics that get a rule: a target and a better direction. */
export function alertedMetrics(targets: Readonly<Record<string, number>>): MetricDefinition[] {
  return METRICS.filter((m) => targets[m.id] !== undefined && m.direction !== 'neutral' && m.kind === 'ratio');
}

/** Query A (SQL on the ClickHouse data source) and condition C (a threshold on each of A's values). */
function queries(rawSql: string, window: AlertWindow, evaluator: { type: 'gt' | 'lt'; value: number }) {
  return [
    new QueryBuilder('A')
      .relativeTimeRange({ ...window })
      .datasourceUid(DATASOURCE.uid)
      .model(clickHouseQuery({ refId: 'A', format: 'table', rawSql, intervalMs: 60_000, maxDataPoints: 43_200 })),
    new QueryBuilder('C')
      .relativeTimeRange({ from: 0, to: 0 })
      .datasourceUid('__expr__')
      .model(
        new TypeThresholdBuilder()
          .refId('C')
          .datasource({ type: '__expr__', uid: '__expr__' })
          .expression('A')
          .conditions([{ evaluator: { type: evaluator.type, params: [evaluator.value] } }]),
      ),
  ];
}

/** The file form of an SDK rule: plain data, without the fields its group gives. */
function provisioned(rule: RuleBuilder, link?: { dashboardUid: string; panelId: number }): ProvisionedRule {
  const { folderUID: _folder, ruleGroup: _group, orgID: _org, uid, title, ...rest } = JSON.parse(JSON.stringify(rule.build())) as ProvisionedRule & { folderUID: string; ruleGroup: string; orgID: number };
  return { uid, title, ...rest, ...(link ?? {}) };
}

export function alertRules(opts: { db: string; targets: Readonly<Record<string, number>>; boards: readonly BoardSpec[] }): AlertRuleFile {
  const rules = alertedMetrics(opts.targets).map((m): ProvisionedRule => {
    const target = opts.targets[m.id]!;
    const plan = alertPlan(m);
    const higher = m.direction === 'higher_is_better';
    const where = opts.boards.map((b) => ({ board: b, panelId: panelOfMetric(b, m.id) })).find((x) => x.panelId !== undefined);
    const value = valueTemplate(m);
    const rule = new RuleBuilder(`${m.name.en} ${higher ? 'below' : 'above'} target`)
      .uid(`cs-target-${m.id.replace(/_/g, '-')}`.slice(0, 40))
      .condition('C')
      .queries(queries(alertSql(opts.db, m), plan.window, { type: higher ? 'lt' : 'gt', value: target }))
      .noDataState('OK')
      .execErrState('Error')
      .forDuration(plan.for)
      .annotations({
        summary: `${m.name.en} is ${value} in business unit {{ $labels.business_unit }} (target ${formatTarget(m, target, 'en')}, ${plan.describe.en}).`,
        description: `${m.name.zh}：业务单元 {{ $labels.business_unit }} 为 ${value}，目标 ${formatTarget(m, target, 'zh')}（${plan.describe.zh}）。`,
      })
      .labels({ team: 'contact-centre', metric: m.id, severity: 'warning' })
      .isPaused(false);
    return provisioned(rule, where ? { dashboardUid: uidOf(where.board, 'en'), panelId: where.panelId! } : undefined);
  });
  return {
    apiVersion: 1,
    groups: [
      { orgId: 1, name: ALERT_GROUP, folder: ALERT_FOLDER, interval: '1m', rules },
      { orgId: 1, name: BAND_ALERT_GROUP, folder: ALERT_FOLDER, interval: '1m', rules: [bandAlertRule(opts.db, opts.boards)] },
    ],
  };
}

/** The complete half hours of the 90 minutes that ended 5 minutes ago. */
export const BAND_ALERT_WINDOW: AlertWindow = { from: 5700, to: 300 };

/**
 * The "sudden swing": per business unit, how far the contacts of the window's complete half hours
 * are outside the band of the day's plan (the forecast issued before the day began), relative to the
 * plan; any amount fires. The planning board shows the same figure.
 */
function bandAlertRule(db: string, boards: readonly BoardSpec[]): ProvisionedRule {
  const planning = boards.find((b) => b.key === 'planning');
  const panelId = planning ? panelOfTitle(planning, BAND_PANEL_TITLE) : undefined;
  const rule = new RuleBuilder('Contact volume outside the forecast band')
    .uid('cs-forecast-band')
    .condition('C')
    .queries(queries(bandDeviationSql(db, { from: () => FROM, to: TO }), BAND_ALERT_WINDOW, { type: 'gt', value: 0 }))
    .noDataState('OK')
    .execErrState('Error')
    .forDuration('0s')
    .annotations({
      summary: 'Contacts of business unit {{ $labels.business_unit }} left the forecast band by {{ humanizePercentage $values.A.Value }} of the plan in the last complete half hours: a swing to react to (re-plan, call in staff).',
      description: '业务单元 {{ $labels.business_unit }} 最近已结束的半小时进线量超出预测区间，超出幅度为计划量的 {{ humanizePercentage $values.A.Value }}：需要及时应对（调整计划、增派人员）。',
    })
    .labels({ team: 'contact-centre', alert: 'forecast_band', severity: 'warning' })
    .isPaused(false);
  return provisioned(rule, planning && panelId !== undefined ? { dashboardUid: uidOf(planning, 'en'), panelId } : undefined);
}

/** A pipeline-health check: SQL returning one number per series, and when it is bad. */
export interface PipelineCheck {
  uid: string;
  title: string;
  sql: string;
  window: AlertWindow;
  evaluator: { type: 'gt' | 'lt'; value: number };
  for: string;
  summary: { en: string; zh: string };
}

/** Dense topics: a partition of these that accepts nothing for minutes is behind, not quiet. */
const DENSE_TOPICS = ['cs.sessions', 'cs.calls'] as const;

/**
 * The checks measure against the end of the evaluated range (`$__toTime`: now, as the rules run),
 * not ClickHouse's now(), so one evaluation has one clock.
 */
export function pipelineChecks(db: string): PipelineCheck[] {
  const window = { from: 900, to: 0 };
  return [
    {
      uid: 'cs-pipeline-consumer-lag',
      title: 'Processor behind its input',
      // Consumer lag in time: how far the newest accepted event of each partition is behind the clock.
      sql:
        `SELECT topic, toString(partition) AS partition, dateDiff('second', newest, ${TO}) AS seconds_behind\nFROM (\n  ` +
        DENSE_TOPICS.map((topic) => `SELECT '${topic}' AS topic, kafka_partition AS partition, max(event_time) AS newest FROM ${db}.${RAW_TABLES[topic]} WHERE $__timeFilter(event_time) GROUP BY partition`).join('\n  UNION ALL\n  ') +
        `\n)\nORDER BY topic, partition`,
      window,
      evaluator: { type: 'gt', value: 120 },
      for: '2m',
      summary: {
        en: 'Partition {{ $labels.partition }} of {{ $labels.topic }} is {{ printf "%.0f" $values.A.Value }} s behind (newest accepted event time vs now); no accepted events for 15 min also alerts.',
        zh: '{{ $labels.topic }} 的分区 {{ $labels.partition }} 落后 {{ printf "%.0f" $values.A.Value }} 秒（最新接受事件时间与当前时间之差）；15 分钟内没有接受任何事件同样告警。',
      },
    },
    {
      uid: 'cs-pipeline-freshness',
      title: 'Live figures are stale',
      sql: `SELECT dateDiff('second', max(bucket), ${TO}) AS seconds_since_newest_minute\nFROM ${db}.metrics\nWHERE grain = 'minute'\n  AND $__timeFilter(bucket)\nHAVING count() > 0`,
      window,
      evaluator: { type: 'gt', value: 300 },
      for: '2m',
      summary: {
        en: 'The newest minute in cs.metrics started {{ printf "%.0f" $values.A.Value }} s ago; no minute in the last 15 min also alerts (stopped pipeline).',
        zh: 'cs.metrics 中最新的分钟开始于 {{ printf "%.0f" $values.A.Value }} 秒前；最近 15 分钟没有任何分钟数据同样告警（数据管道停止）。',
      },
    },
    {
      uid: 'cs-pipeline-dead-letters',
      title: 'Dead-letter rate high',
      sql:
        `SELECT dead_letters / messages AS dead_letter_share\nFROM\n` +
        `  (SELECT count() AS dead_letters FROM ${db}.dead_letters WHERE $__timeFilter(dead_lettered_at)) AS d,\n` +
        `  (SELECT sum(to_offset - from_offset) AS messages FROM ${db}.processor_log WHERE kind = 'done' AND $__timeFilter(written_at)) AS p\n` +
        `WHERE messages > 0`,
      window,
      evaluator: { type: 'gt', value: 0.01 },
      for: '5m',
      summary: {
        en: '{{ humanizePercentage $values.A.Value }} of the messages processed in the last 15 min were dead-lettered (over 1 %); nothing processed in 15 min also alerts.',
        zh: '最近 15 分钟处理的消息中有 {{ humanizePercentage $values.A.Value }} 进入死信（超过 1%）；15 分钟内没有处理任何消息同样告警。',
      },
    },
  ];
}

export function pipelineRules(db: string): AlertRuleFile {
  const rules = pipelineChecks(db).map((c) =>
    provisioned(
      new RuleBuilder(c.title)
        .uid(c.uid)
        .condition('C')
        .queries(queries(c.sql, c.window, c.evaluator))
        // No rows means nothing arrives: the pipeline is down, which is the alarm itself.
        .noDataState('Alerting')
        .execErrState('Alerting')
        .forDuration(c.for)
        .annotations({ summary: c.summary.en, description: c.summary.zh })
        .labels({ team: 'data-platform', severity: 'critical' })
        .isPaused(false),
    ),
  );
  return { apiVersion: 1, groups: [{ orgId: 1, name: PIPELINE_GROUP, folder: ALERT_FOLDER, interval: '1m', rules }] };
}
