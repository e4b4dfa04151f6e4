import { METRICS, type Attribution, type MetricDefinition } from './catalog.ts';
import { forecastAccuracySql } from './forecast-sql.ts';

export const GRAINS = ['minute', 'hour', 'day'] as const;
export type Grain = (typeof GRAINS)[number];

/** A ClickHouse string literal. */
export const sqlString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The topic whose events a metric is attributed to (the processor writing its numerators). */
const SOURCE_TOPIC: Record<Attribution, string> = {
  contact_start: 'cs.sessions',
  call_offered: 'cs.calls',
  survey_responded: 'cs.surveys',
  complaint_filed: 'cs.complaints',
  outreach_contacted: 'cs.outreach',
  qa_reviewed: 'cs.qa',
  agent_logged_in: 'cs.agents',
  // A day's forecast accuracy is settled once the day's contacts are (the forecasts are immutable).
  forecast_day: 'cs.sessions',
};

/** The metric whose watermarks a metric's finality follows: its own; the forecast accuracy's, that of `contacts` (the processor writes none for it). */
const watermarkMetric = (m: MetricDefinition): string => (m.attribution === 'forecast_day' ? 'contacts' : m.id);

/** Topics whose partitions feed a metric's numerator or denominator: all must have settled a bucket for it to be final. */
export function sourceTopics(m: MetricDefinition): string[] {
  const topics = [SOURCE_TOPIC[m.attribution]];
  // Per-10k rates divide by contacts started, which the sessions processor counts.
  if (m.denominator === 'contacts started' && !topics.includes('cs.sessions')) topics.push('cs.sessions');
  return topics;
}

/**
 * cs.settled (SPEC §7): per metric, the instant before which every bucket is final — the earliest
 * `settled_before` of the latest watermark of every partition of every topic that feeds it, read
 * for the pipeline (processor group and topic prefix) that flushed last. A topic with a partition
 * that never reported settles nothing yet.
 */
export function settledViewSql(db: string, timeZone: string): string {
  const pairs = METRICS.flatMap((m) => sourceTopics(m).map((t) => `(${sqlString(m.id)}, ${sqlString(watermarkMetric(m))}, ${sqlString(t)})`));
  return `CREATE OR REPLACE VIEW ${db}.settled AS
WITH current AS (SELECT processor, prefix FROM ${db}.watermarks ORDER BY flushed_at DESC LIMIT 1),
latest AS (
  SELECT logical_topic, partition, metric, argMax(settled_before, seq) AS settled, argMax(partitions, seq) AS partitions
  FROM ${db}.watermarks
  WHERE (processor, prefix) IN (SELECT processor, prefix FROM current)
  GROUP BY logical_topic, partition, metric
),
per_topic AS (
  SELECT metric, logical_topic, min(settled) AS settled, max(partitions) > 0 AND uniqExact(partition) >= max(partitions) AS complete
  FROM latest
  GROUP BY metric, logical_topic
),
required AS (
  SELECT tupleElement(pair, 1) AS metric, tupleElement(pair, 2) AS watermark_metric, tupleElement(pair, 3) AS logical_topic
  FROM (SELECT arrayJoin([${pairs.join(', ')}]) AS pair)
)
SELECT r.metric AS metric,
       fromUnixTimestamp64Milli(min(if(p.complete, toUnixTimestamp64Milli(p.settled), 0)), ${sqlString(timeZone)}) AS settled_up_to
FROM required AS r
LEFT JOIN per_topic AS p ON p.metric = r.watermark_metric AND p.logical_topic = r.logical_topic
GROUP BY r.metric`;
}

/**
 * The grain of the processor's flush markers in metric_sums (services/processor/src/engine/
 * flush-markers.ts): bookkeeping rows beside the figures, which no reader of the figures sees.
 */
export const FLUSH_MARKER_GRAIN = 'flush';

/**
 * The cs.metrics view (SPEC §7): current figures per grain from the partial sums (live ones
 * included; retractions are negative partial sums). Count metrics report denominator 1 and value =
 * numerator; ratios value = numerator / denominator × scale, NULL when the denominator is 0.
 * `final`: the bucket ends before its metric's settled_up_to (cs.settled).
 */
export function metricsViewSql(db: string): string {
  const counts = METRICS.filter((m) => m.kind === 'count').map((m) => sqlString(m.id));
  const scaled = METRICS.filter((m) => m.scale !== 1);
  const scale = scaled.length
    ? `transform(m.metric, [${scaled.map((m) => sqlString(m.id)).join(', ')}], [${scaled.map((m) => `${m.scale}.`).join(', ')}], 1.)`
    : '1.';
  // A day bucket ends at the next local midnight, 23 to 25 hours later: within 26 h of its start.
  const bucketEnd = `multiIf(m.grain = 'minute', m.bucket + 60, m.grain = 'hour', m.bucket + 3600, toStartOfDay(m.bucket + INTERVAL 26 HOUR))`;
  return `CREATE OR REPLACE VIEW ${db}.metrics AS
SELECT m.grain AS grain, m.bucket AS bucket, m.metric AS metric, m.business_unit AS business_unit, m.product AS product, m.channel AS channel,
       m.numerator AS numerator,
       if(m.metric IN (${counts.join(', ')}), 1., m.denominator) AS denominator,
       if(m.metric IN (${counts.join(', ')}), m.numerator,
          if(m.denominator = 0, NULL, m.numerator / m.denominator * ${scale})) AS value,
       toBool(${bucketEnd} <= s.settled_up_to) AS final
FROM (
  SELECT grain, bucket, metric, business_unit, product, channel, sum(numerator) AS numerator, sum(denominator) AS denominator
  FROM ${db}.metric_sums
  WHERE grain != ${sqlString(FLUSH_MARKER_GRAIN)}
  GROUP BY grain, bucket, metric, business_unit, product, channel
  UNION ALL${forecastAccuracySql(db)}
) AS m
LEFT JOIN ${db}.settled AS s ON s.metric = m.metric`;
}
