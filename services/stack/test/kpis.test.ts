import { describe, expect, it } from 'vitest';
import { metric } from '@cs/catalog';
import { SUMMARY_KPIS, formatFigure, formatKpis, kpiSql, type KpiRow } from '../src/kpis.ts';

const row = (m: string, minute: [number, number], today: [number, number]): KpiRow => ({
  metric: m,
  minute: '2026-03-01 10:41:00',
  minute_numerator: minute[0],
  minute_denominator: minute[1],
  today_numerator: today[0],
  today_denominator: today[1],
});

describe('summary KPIs', () => {
  it('format each figure in its unit, scaled as the catalog says', () => {
    expect(formatFigure(metric('self_service_share'), 968, 1000)).toBe('96.8 %');
    expect(formatFigure(metric('online_aht_seconds'), 5200, 100)).toBe('52 s');
    expect(formatFigure(metric('complaints_per_10k'), 3, 6250)).toBe('4.8');
    expect(formatFigure(metric('human_answer_rate'), 0, 0)).toBe('—');
  });

  it('show the last full minute and today for every KPI, "—" where there is nothing', () => {
    const lines = formatKpis([row('human_answer_rate', [98, 100], [9790, 10000]), row('self_service_share', [0, 0], [971, 1000]), row('complaints_per_10k', [1, 1000], [24, 50000])]);
    expect(lines).toEqual([
      '  live KPIs                         minute 10:41    today',
      '  Self-service share                —               97.1 %',
      '  Online average handling time      —               —',
      '  Human average handling time       —               —',
      '  Human answer rate                 98.0 %          97.9 %',
      '  Complaints per 10k contacts       10.0            4.8',
    ]);
    expect(formatKpis([])[0]).toBe('  live KPIs                         last minute     today');
  });

  it('read the summary metrics from cs.metrics at minute and day grain', () => {
    const sql = kpiSql('cs');
    for (const id of SUMMARY_KPIS) expect(sql).toContain(`'${id}'`);
    expect(sql).toContain('FROM cs.metrics');
    expect(sql).toMatch(/grain = 'minute' AND bucket = toStartOfMinute\(now\(\)\) - INTERVAL 1 MINUTE/);
  });
});
