import { METRICS, targets } from './catalog.ts';

const ATTRIBUTION: Record<string, string> = {
  contact_start: "contact's start",
  call_offered: 'OFFERED',
  survey_responded: 'RESPONDED',
  complaint_filed: 'FILED',
  outreach_contacted: 'CONTACTED',
  qa_reviewed: 'REVIEWED',
  agent_logged_in: 'logged-in time',
  forecast_day: 'forecast day',
};

/** docs/metrics.md, generated from the catalog (checked by a test to be up to date). */
export function metricsMarkdown(): string {
  const t = targets({});
  const lines = [
    '# Metrics',
    '',
    '<!-- Generated from packages/catalog/src/catalog.ts by `npm run generate`. Do not edit. -->',
    '',
    'Every metric is `value = numerator / denominator × scale` per bucket (minute, hour, day in `CS_TIMEZONE`) and per',
    '(business_unit, product, channel), read from `cs.metrics`; for count metrics `value` is the numerator and the',
    'denominator is 1. Targets can be overridden, or given to a metric without one (—), with `CS_TARGET_<METRIC_ID>`; each',
    'metric with a target gets an alert rule. Complaints per 10k has no default target: no figure is stated for it.',
    '',
    '| metric | 名称 | numerator | denominator | scale | bucket of | better | target | definition |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const m of METRICS) {
    const better = m.direction === 'higher_is_better' ? 'higher' : m.direction === 'lower_is_better' ? 'lower' : '—';
    const target = t[m.id] === undefined ? '—' : `${m.direction === 'lower_is_better' ? '≤' : '≥'} ${t[m.id]}`;
    lines.push(`| \`${m.id}\` ${m.name.en} | ${m.name.zh} | ${m.numerator} | ${m.denominator} | ${m.scale} | ${ATTRIBUTION[m.attribution]} | ${better} | ${target} | ${m.definition} |`);
  }
  return `${lines.join('\n')}\n`;
}
