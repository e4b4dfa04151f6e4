export * from './generate.ts';
export { alertRules, alertSql, alertPlan, alertedMetrics, minimumVolume, pipelineChecks, pipelineRules, ALERT_FOLDER, ALERT_GROUP, BAND_ALERT_GROUP, BAND_ALERT_WINDOW, PIPELINE_GROUP, type AlertPlan, type AlertWindow, type AlertRuleFile, type ProvisionedRule, type RuleGroup, type RuleQuery, type PipelineCheck } from './alerts.ts';
export { notifications, CONTACT_POINT, WEBHOOK_URL_ENV, type NotificationsFile } from './notifications.ts';
export { renderBoard, queryChecks, uidOf, pathOf, type BoardSpec, type PanelSpec, type QuerySpec, type PanelQueryCheck, type AnnotationSpec } from './board.ts';
export { validateDashboard, sqlProblems } from './validate.ts';
export { evaluateRule, type Evaluation, type QueryResult, type Series } from './evaluate.ts';
export { expandQuery, applyConditionalAll, replaceVariables, interpolateMacros, type QueryContext, type VariableValue } from './plugin.ts';
export { DATASOURCE, clickHouseQuery, type ClickHouseQuery, type Dashboard, type RenderedPanel, type RenderedRow } from './grafana.ts';
export { LANGS, type Lang } from './text.ts';
