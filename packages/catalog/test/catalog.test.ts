import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { METRICS, ZH_METRIC_TEXT, decidingWindow, isAdditive, metric, metricsViewSql, settledViewSql, sourceTopics, targets, zhText, type MetricId } from '../src/index.ts';
import { generatedFiles } from './generated.ts';

describe('metric catalog', () => {
  it('has every SPEC §6 metric once, with names in both languages', () => {
    const ids = METRICS.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(25); // SPEC §6 (23) and §9 (forecast accuracy, 2)
    for (const m of METRICS) expect(m.name.en && m.name.zh && m.definition).toBeTruthy();
  });

  it('has the Chinese definition, numerator and denominator of every metric (a missing one does not compile)', () => {
    const cjk = /[\u4e00-\u9fff]/;
    expect(Object.keys(ZH_METRIC_TEXT).sort()).toEqual(METRICS.map((m) => m.id).sort());
    for (const m of METRICS) expect(cjk.test(zhText(m.id).definition) && zhText(m.id).numerator && zhText(m.id).denominator, m.id).toBeTruthy();
    // @ts-expect-error not a catalog metric id
    expect(() => zhText('nope')).toThrow(/no Chinese text for metric "nope"/);
  });

  it('knows which figures do not add up and which a window decides', () => {
    expect(METRICS.filter((m) => !isAdditive(m.id)).map((m) => m.id)).toEqual(['headcount']);
    expect(METRICS.filter((m) => decidingWindow(m.id)).map((m) => [m.id, decidingWindow(m.id)])).toEqual([
      ['fcr_rate', 'fcr'],
      ['self_service_resolution_rate', 'fcr'],
      ['outreach_retention_rate', 'retention'],
    ]);
  });

  it('metric ids are a union of the catalog ids: an unknown id is a compile error (checked by typecheck)', () => {
    const known: MetricId = 'fcr_rate';
    // @ts-expect-error 'fcr_rat' is not a catalog metric id
    const typo: MetricId = 'fcr_rat';
    expect(metric(known).name.en).toBe('First-contact resolution');
    expect(() => metric(typo)).toThrow(/unknown metric "fcr_rat"/);
  });

  it('takes target overrides from the environment', () => {
    expect(targets({}).human_answer_rate).toBe(0.99);
    expect(targets({})).toMatchObject({ self_service_share: 0.97, fcr_rate: 0.907, satisfaction_top_box: 0.8 });
    expect(targets({}).complaints_per_10k).toBeUndefined();
    expect(targets({ CS_TARGET_HUMAN_ANSWER_RATE: '0.95' }).human_answer_rate).toBe(0.95);
    expect(targets({ CS_TARGET_COMPLAINTS_PER_10K: '3' }).complaints_per_10k).toBe(3);
  });

  it('generates the cs.metrics view with scales and count metrics from the catalog', () => {
    const sql = metricsViewSql('cs');
    expect(sql).toContain("transform(m.metric, ['complaints_per_10k', 'upheld_complaints_per_10k'], [10000., 10000.], 1.)");
    expect(sql).toContain("m.metric IN ('contacts', 'staffed_hours', 'headcount')");
    expect(sql).toContain('AS final');
  });

  it('generates cs.settled from the topics that feed each metric (per-10k rates: complaints and sessions)', () => {
    const sql = settledViewSql('cs', 'Asia/Shanghai');
    expect(sql).toContain("('complaints_per_10k', 'complaints_per_10k', 'cs.complaints'), ('complaints_per_10k', 'complaints_per_10k', 'cs.sessions')");
    expect(sql).toContain("('staffed_hours', 'staffed_hours', 'cs.agents')");
    // The forecast accuracy of a day settles with the day's contacts (the processor keeps no watermark of its own for it).
    expect(sql).toContain("('forecast_accuracy_daily', 'contacts', 'cs.sessions')");
    expect(sourceTopics(METRICS.find((m) => m.id === 'fcr_rate')!)).toEqual(['cs.sessions']);
  });

  it('reads the forecast-accuracy metrics from the forecaster\'s sums, at the day grain', () => {
    expect(metricsViewSql('cs')).toContain("SELECT 'day' AS grain, bucket, metric, business_unit, product, channel, numerator, denominator\n  FROM cs.forecast_accuracy FINAL");
  });

  it('committed generated files are what the generator produces (run `npm run generate`)', () => {
    for (const [path, content] of Object.entries(generatedFiles())) {
      expect(readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8'), path).toBe(content);
    }
  });
});
