import { METRICS } from './catalog.ts';
import { forecastAccuracySql } from './forecast-sql.ts';

export const GRAINS = ['minute', 'hour', 'day'] as const;
export type Grain = (typeof GRAINS)[number];

/** A ClickHouse string literal. */
export const sqlString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * The cs.metrics view (SPEC §7): final figures per grain from the partial sums. Count metrics
 * report denominator 1 and value = numerator; ratios value = numerator / denominator × scale,
 * NULL when the denominator is 0.
 */
export function metricsViewSql(db: string): string {
  const counts = METRICS.filter((m) => m.kind === 'count').map((m) => sqlString(m.id));
  const scaled = METRICS.filter((m) => m.scale !== 1);
  const scale = scaled.length
    ? `transform(metric, [${scaled.map((m) => sqlString(m.id)).join(', ')}], [${scaled.map((m) => `${m.scale}.`).join(', ')}], 1.)`
    : '1.';
  const grain = (g: Grain) => `
  SELECT ${sqlString(g)} AS grain, bucket, metric, business_unit, product, channel,
         sum(numerator) AS numerator, sum(denominator) AS denominator
  FROM ${db}.metric_sums_${g}
  GROUP BY bucket, metric, business_unit, product, channel`;
  return `CREATE OR REPLACE VIEW ${db}.metrics AS
SELECT grain, bucket, metric, business_unit, product, channel, numerator,
       if(metric IN (${counts.join(', ')}), 1., denominator) AS denominator,
       if(metric IN (${counts.join(', ')}), numerator,
          if(denominator = 0, NULL, numerator / denominator * ${scale})) AS value
FROM (${GRAINS.map(grain).join('\n  UNION ALL')}
  UNION ALL${forecastAccuracySql(db)}
)`;
}
