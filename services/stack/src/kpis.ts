/**
 * The live KPIs of the `npm start` summary: a handful of headline metrics for the last full minute
 * and for today so far, from cs.metrics (live figures, SPEC §4), each Σ numerator / Σ denominator ×
 * scale as the catalog defines it.
 */
import { metric, sqlString, type MetricDefinition, type MetricId } from '@cs/catalog';
import { tablesIn } from '@cs/storage';

export const SUMMARY_KPIS = ['self_service_share', 'online_aht_seconds', 'human_aht_seconds', 'human_answer_rate', 'complaints_per_10k'] as const satisfies readonly MetricId[];

export interface KpiRow {
  metric: string;
  /** Start of the last full minute, as ClickHouse prints it in CS_TIMEZONE. */
  minute: string;
  minute_numerator: number;
  minute_denominator: number;
  today_numerator: number;
  today_denominator: number;
}

/** One row per KPI with figures: the last full minute (minute grain) and today (the day bucket, in the buckets' zone). */
export function kpiSql(db: string): string {
  return `SELECT metric,
       any(toString(toTimeZone(toStartOfMinute(now()) - INTERVAL 1 MINUTE, timeZoneOf(bucket)))) AS minute,
       sumIf(numerator, grain = 'minute') AS minute_numerator,
       sumIf(denominator, grain = 'minute') AS minute_denominator,
       sumIf(numerator, grain = 'day') AS today_numerator,
       sumIf(denominator, grain = 'day') AS today_denominator
FROM ${tablesIn(db).metrics}
WHERE metric IN (${SUMMARY_KPIS.map(sqlString).join(', ')})
  AND ((grain = 'minute' AND bucket = toStartOfMinute(now()) - INTERVAL 1 MINUTE)
    OR (grain = 'day' AND bucket = toStartOfDay(toTimeZone(now(), timeZoneOf(bucket)))))
GROUP BY metric`;
}

/** A figure as people read it: "96.8 %", "52 s", "4.8"; "—" without a denominator. */
export function formatFigure(m: MetricDefinition, numerator: number, denominator: number): string {
  if (!(denominator > 0)) return '—';
  const value = (numerator / denominator) * m.scale;
  switch (m.unit) {
    case 'ratio':
      return `${(value * 100).toFixed(1)} %`;
    case 'seconds':
      return `${value.toFixed(0)} s`;
    default:
      return value.toFixed(1);
  }
}

/** The KPI block of the summary: a header line and one line per KPI, in SUMMARY_KPIS order. */
export function formatKpis(rows: readonly KpiRow[]): string[] {
  const byMetric = new Map(rows.map((r) => [r.metric, r]));
  const minute = rows[0]?.minute.slice(11, 16);
  const col = (s: string) => s.padEnd(16);
  const lines = [`  ${'live KPIs'.padEnd(34)}${col(minute ? `minute ${minute}` : 'last minute')}today`];
  for (const id of SUMMARY_KPIS) {
    const m = metric(id);
    const r = byMetric.get(id);
    const last = r ? formatFigure(m, Number(r.minute_numerator), Number(r.minute_denominator)) : '—';
    const today = r ? formatFigure(m, Number(r.today_numerator), Number(r.today_denominator)) : '—';
    lines.push(`  ${m.name.en.padEnd(34)}${col(last)}${today}`);
  }
  return lines;
}
