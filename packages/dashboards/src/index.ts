export * from './generate.ts';
export { alertRules, alertSql, alertWindow, alertedMetrics, minimumVolume, ALERT_FOLDER, ALERT_GROUP, ALERT_WINDOW, ALERT_FOR, BAND_ALERT_GROUP, BAND_ALERT_WINDOW, DAILY_ALERT_WINDOW, type AlertRule, type AlertRuleFile, type AlertQuery } from './alerts.ts';
export { renderBoard, queryChecks, uidOf, pathOf, type BoardSpec, type PanelSpec, type QuerySpec, type PanelQueryCheck } from './board.ts';
export { validateDashboard, sqlProblems, DASHBOARD_SCHEMA } from './validate.ts';
export { expandQuery, applyConditionalAll, replaceVariables, interpolateMacros, type QueryContext, type VariableValue } from './plugin.ts';
export { toYaml, parseYaml, type Yaml } from './yaml.ts';
export { ZH_METRIC_TEXT } from './zh.ts';
export { DATASOURCE, SCHEMA_VERSION, type Dashboard, type Panel, type RowPanel } from './grafana.ts';
export { LANGS, type Lang } from './text.ts';
