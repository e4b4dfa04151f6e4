/**
 * Grafana alert rules (file provisioning, apiVersion 1) generated from the catalog's targets: one
 * rule per metric with a target and a direction, firing per business unit when the metric over the
 * 15 minutes that ended 5 minutes ago has been on the wrong side of its target for 15 minutes.
 *
 * The window ends 5 minutes ago because recent buckets are still filling in: a call counts as
 * offered at once but as answered only when an agent picks up, a contact's figures arrive when it
 * ends. A minimum volume per business unit keeps small samples from alerting.
 */
import { METRICS, sqlString, type MetricDefinition } from '@cs/catalog';
import { panelOfMetric, panelOfTitle, uidOf, type BoardSpec } from './board.ts';
import { BAND_PANEL_TITLE, accuracyAlertSql, bandDeviationSql } from './forecast-sql.ts';
import { DATASOURCE } from './grafana.ts';
import { FROM, TO } from './sql.ts';
import { formatTarget } from './text.ts';
import type { Yaml } from './yaml.ts';

export const ALERT_FOLDER = 'CS analytics';
export const ALERT_GROUP = 'cs-metric-targets';
/** Evaluation window in seconds before now: [now − 20 min, now − 5 min]. */
export const ALERT_WINDOW = { from: 1200, to: 300 } as const;
export const ALERT_FOR = '15m';
/** The forecast-accuracy metrics are daily: their rules look at the latest day scored in the last 3 days. */
export const DAILY_ALERT_WINDOW = { from: 3 * 86400, to: 0 } as const;
export const alertWindow = (m: MetricDefinition) => (m.attribution === 'forecast_day' ? DAILY_ALERT_WINDOW : ALERT_WINDOW);
const WINDOW_MINUTES = (ALERT_WINDOW.from - ALERT_WINDOW.to) / 60;
const WINDOW_END_MINUTES_AGO = ALERT_WINDOW.to / 60;

/** Fewest denominator units in the window for a business unit to be judged. */
export function minimumVolume(m: MetricDefinition): number {
  return m.unit === 'per_10k' ? 1000 : 20;
}

export interface AlertRule {
  uid: string;
  title: string;
  condition: string;
  data: AlertQuery[];
  dashboardUid?: string;
  panelId?: number;
  noDataState: 'OK' | 'NoData' | 'Alerting' | 'KeepLast';
  execErrState: 'OK' | 'Error' | 'Alerting' | 'KeepLast';
  for: string;
  annotations: Record<string, string>;
  labels: Record<string, string>;
  isPaused: boolean;
}

export interface AlertQuery {
  refId: string;
  relativeTimeRange: { from: number; to: number };
  datasourceUid: string;
  model: { [key: string]: Yaml };
}

export interface AlertRuleFile {
  apiVersion: 1;
  groups: { orgId: number; name: string; folder: string; interval: string; rules: AlertRule[] }[];
}

export function alertSql(db: string, m: MetricDefinition): string {
  if (m.attribution === 'forecast_day') return accuracyAlertSql(db, m.id);
  const scale = m.scale === 1 ? '' : ` * ${m.scale}`;
  return [
    'SELECT',
    '  business_unit,',
    `  sum(numerator) / sum(denominator)${scale} AS value`,
    `FROM ${db}.metrics`,
    "WHERE grain = 'minute'",
    `  AND metric = ${sqlString(m.id)}`,
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

/** A rule's query A: `rawSql` on the ClickHouse data source over the window (seconds before now). */
function sqlQuery(window: { readonly from: number; readonly to: number }, rawSql: string): AlertQuery {
  return {
    refId: 'A',
    relativeTimeRange: { ...window },
    datasourceUid: DATASOURCE.uid,
    model: { refId: 'A', datasource: { ...DATASOURCE }, editorType: 'sql', format: 1, queryType: 'table', rawSql, intervalMs: 60000, maxDataPoints: 43200 },
  };
}

/** A rule's condition C: A's value `type` (lt, gt) the `value`. */
function threshold(type: 'lt' | 'gt', value: number): AlertQuery {
  return {
    refId: 'C',
    relativeTimeRange: { from: 0, to: 0 },
    datasourceUid: '__expr__',
    model: { refId: 'C', datasource: { type: '__expr__', uid: '__expr__' }, type: 'threshold', expression: 'A', conditions: [{ evaluator: { type, params: [value] } }] },
  };
}

export function alertRules(opts: { db: string; targets: Readonly<Record<string, number>>; boards: readonly BoardSpec[] }): AlertRuleFile {
  const rules = alertedMetrics(opts.targets).map((m): AlertRule => {
    const target = opts.targets[m.id]!;
    const higher = m.direction === 'higher_is_better';
    const where = opts.boards.map((b) => ({ board: b, panelId: panelOfMetric(b, m.id) })).find((x) => x.panelId !== undefined);
    const value = valueTemplate(m);
    return {
      uid: `cs-target-${m.id.replace(/_/g, '-')}`.slice(0, 40),
      title: `${m.name.en} ${higher ? 'below' : 'above'} target`,
      condition: 'C',
      data: [sqlQuery(alertWindow(m), alertSql(opts.db, m)), threshold(higher ? 'lt' : 'gt', target)],
      ...(where ? { dashboardUid: uidOf(where.board, 'en'), panelId: where.panelId! } : {}),
      noDataState: 'OK',
      execErrState: 'Error',
      for: ALERT_FOR,
      annotations: {
        summary:
          m.attribution === 'forecast_day'
            ? `${m.name.en} (1 day ahead) was ${value} in business unit {{ $labels.business_unit }} on the latest scored day (target ${formatTarget(m, target, 'en')}).`
            : `${m.name.en} is ${value} in business unit {{ $labels.business_unit }} (target ${formatTarget(m, target, 'en')}, ${WINDOW_MINUTES} min ending ${WINDOW_END_MINUTES_AGO} min ago).`,
        description:
          m.attribution === 'forecast_day'
            ? `${m.name.zh}（提前 1 天）：业务单元 {{ $labels.business_unit }} 最近一个已评分日为 ${value}，目标 ${formatTarget(m, target, 'zh')}。`
            : `${m.name.zh}：业务单元 {{ $labels.business_unit }} 为 ${value}，目标 ${formatTarget(m, target, 'zh')}（统计窗口：${WINDOW_MINUTES} 分钟，截至 ${WINDOW_END_MINUTES_AGO} 分钟前）。`,
      },
      labels: { team: 'contact-centre', metric: m.id, severity: 'warning' },
      isPaused: false,
    };
  });
  return {
    apiVersion: 1,
    groups: [
      { orgId: 1, name: ALERT_GROUP, folder: ALERT_FOLDER, interval: '1m', rules },
      { orgId: 1, name: BAND_ALERT_GROUP, folder: ALERT_FOLDER, interval: '1m', rules: [bandAlertRule(opts.db, opts.boards)] },
    ],
  };
}

export const BAND_ALERT_GROUP = 'cs-forecast-band';
/** The complete half hours of the 90 minutes that ended 5 minutes ago. */
export const BAND_ALERT_WINDOW = { from: 5700, to: 300 } as const;

/**
 * The "sudden swing": per business unit, contacts of the last complete half hours outside the band of
 * the day's plan (the forecast issued before the day began), by more than nothing.
 */
function bandAlertRule(db: string, boards: readonly BoardSpec[]): AlertRule {
  const planning = boards.find((b) => b.key === 'planning');
  const panelId = planning ? panelOfTitle(planning, BAND_PANEL_TITLE) : undefined;
  return {
    uid: 'cs-forecast-band',
    title: 'Contact volume outside the forecast band',
    condition: 'C',
    data: [sqlQuery(BAND_ALERT_WINDOW, bandDeviationSql(db, { from: () => FROM, to: TO })), threshold('gt', 0)],
    ...(planning && panelId !== undefined ? { dashboardUid: uidOf(planning, 'en'), panelId } : {}),
    noDataState: 'OK',
    execErrState: 'Error',
    for: '0m',
    annotations: {
      summary: 'Contacts of business unit {{ $labels.business_unit }} left the forecast band by {{ humanizePercentage $values.A.Value }} of the plan in the last complete half hours: a swing to react to (re-plan, call in staff).',
      description: '业务单元 {{ $labels.business_unit }} 最近已结束的半小时进线量超出预测区间，超出幅度为计划量的 {{ humanizePercentage $values.A.Value }}：需要及时应对（调整计划、增派人员）。',
    },
    labels: { team: 'contact-centre', alert: 'forecast_band', severity: 'warning' },
    isPaused: false,
  };
}
