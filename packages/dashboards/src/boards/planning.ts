/**
 * Volume forecast and planning: the day's contacts per half hour against the plan (the forecast made
 * before the day began) and its prediction band, the latest intraday re-forecast, the intervals that
 * left the band (the "sudden swing" to react to; an alert rule watches it too), forecast accuracy
 * against its 96 % target, and the next 14 days. "The day" is the local day of the end of the selected
 * range; the accuracy panels cover the whole range.
 */
import { BigValueColorMode, ReduceDataOptionsBuilder } from '@grafana/grafana-foundation-sdk/common';
import type { BoardSpec, VariableSpec } from '../board.ts';
import {
  BAND_PANEL_TITLE,
  FORECAST_FILTERS,
  FORECAST_METRIC_FILTERS,
  accuracyByUnitSql,
  accuracyTrendSql,
  actualSql,
  bandDeviationSql,
  daySoFarSql,
  nextDaysSql,
  outsideBandSql,
  planSql,
  reforecastSql,
} from '../forecast-sql.ts';
import { byThresholds, fixedColor, palette, thresholdSteps } from '../grafana.ts';
import { field, row, seriesStyle, sqlPanel, statVisual, tableVisual, thresholds, timeseriesVisual, type Ctx } from '../panels.ts';
import { TO, m } from '../sql.ts';
import { L, metricName, t, type Lang, type Text } from '../text.ts';

const perLang = (f: (lang: Lang) => string): Text => ({ en: f('en'), zh: f('zh') });

function planningVariables(db: string): VariableSpec[] {
  const seriesIn = `FROM ${db}.forecasts\nWHERE kind = 'contacts'\n  AND interval >= ($__fromTime) - INTERVAL 1 DAY AND interval <= ($__toTime) + INTERVAL 14 DAY`;
  return [
    {
      name: 'business_unit',
      label: L.businessUnit,
      description: t('Business units with a contact forecast around the selected range.', '所选时间范围前后有进线预测的业务单元。'),
      sql: `SELECT DISTINCT business_unit\n${seriesIn}\n  AND business_unit != ''\nORDER BY business_unit`,
    },
    {
      name: 'channel',
      label: L.channel,
      description: t('Channels of the selected business units.', '所选业务单元的渠道。'),
      sql: `SELECT DISTINCT segment\n${seriesIn}\n  AND segment != ''\n  AND $__conditionalAll(business_unit IN (\${business_unit:singlequote}), $business_unit)\nORDER BY segment`,
    },
  ];
}

const BLUE = fixedColor('blue').build();

/** Band columns drawn as a shaded area between band_low and band_high. */
const band = (lang: Lang) => [
  field('band_low', [
    { id: 'displayName', value: lang === 'zh' ? '预测区间下限' : 'Band low' },
    { id: 'custom.lineWidth', value: 0 },
    { id: 'custom.fillOpacity', value: 0 },
    { id: 'color', value: BLUE },
  ]),
  field('band_high', [
    { id: 'displayName', value: lang === 'zh' ? '预测区间上限' : 'Band high' },
    { id: 'custom.lineWidth', value: 0 },
    { id: 'custom.fillBelowTo', value: 'band_low' },
    { id: 'custom.fillOpacity', value: 15 },
    { id: 'color', value: BLUE },
  ]),
  field('forecast', [
    { id: 'displayName', value: lang === 'zh' ? '计划（提前 1 天的预测）' : 'Plan (1-day-ahead forecast)' },
    { id: 'color', value: BLUE },
  ]),
];

/** Lines of contact counts per interval, coloured from the palette unless an override fixes one. */
const countLines = () => seriesStyle(timeseriesVisual(), 'line').unit('short').decimals(0).colorScheme(palette());

export function planningBoard(ctx: Ctx): BoardSpec {
  const accuracy = m('forecast_accuracy_daily');
  const wape = m('forecast_wape_interval');
  const target = ctx.targets[accuracy.id];
  const lastHour = { from: () => `${TO} - INTERVAL 90 MINUTE`, to: TO };
  const filters = { forecasts: FORECAST_FILTERS, metrics: FORECAST_METRIC_FILTERS };
  return {
    key: 'planning',
    file: 'forecast-and-planning',
    title: t('Volume forecast and planning', '话务预测与计划'),
    description: t(
      'Contacts per half hour against the plan (the forecast issued before the day began) and its 95 % band, the latest intraday re-forecast, intervals that left the band, forecast accuracy against its target, and the next 14 days. "The day" is the local day of the end of the selected range.',
      '每半小时进线量与计划（当天开始前发布的预测）及其 95% 预测区间的对比、最新的日内滚动预测、超出区间的时段、预测准确率与目标，以及未来 14 天。“当天”指所选时间范围结束时刻所在的本地日期。',
    ),
    tags: ['forecast', 'planning'],
    time: { from: 'now-30d', to: 'now' },
    refresh: '1m',
    variables: planningVariables(ctx.db),
    items: [
      row(t('The day: actual vs plan', '当天：实际 vs 计划')),
      sqlPanel({
        title: t('Contacts so far vs plan', '截至目前的进线量 vs 计划'),
        description: t(
          'The complete half hours of the day so far: contacts, the plan for the same half hours, and how far the actual is from the plan.',
          '当天截至目前已结束的半小时：进线量、同时段的计划量，以及实际与计划的偏差。',
        ),
        w: 12,
        h: 4,
        queries: [
          {
            refId: 'A',
            sql: daySoFarSql(ctx.db, filters),
            format: 'table',
            columns: ['actual_so_far', 'plan_so_far', 'deviation'],
            requiresData: true,
            nonNull: ['actual_so_far', 'plan_so_far'],
          },
        ],
        visual: (lang) =>
          statVisual('value_and_name', 'vertical')
            .unit('short')
            .decimals(0)
            .colorScheme(fixedColor('blue'))
            .noValue('—')
            .overrides([
              field('actual_so_far', [{ id: 'displayName', value: lang === 'zh' ? '实际' : 'Actual' }]),
              field('plan_so_far', [{ id: 'displayName', value: lang === 'zh' ? '计划' : 'Plan' }]),
              field('deviation', [
                { id: 'displayName', value: lang === 'zh' ? '偏差' : 'Deviation' },
                { id: 'unit', value: 'percentunit' },
                { id: 'decimals', value: 1 },
              ]),
            ]),
      }),
      sqlPanel({
        title: t(BAND_PANEL_TITLE, '最近一小时超出预测区间'),
        description: t(
          'Per business unit, the complete half hours of the last 90 minutes before the range end: how far contacts are outside the plan’s band (Σ lower … Σ upper), relative to the plan; 0 = inside. The alert rule "Contact volume outside the forecast band" fires on the same figure.',
          '按业务单元，所选时间范围结束前 90 分钟内已结束的半小时：进线量超出计划预测区间（Σ下限 … Σ上限）的幅度，相对计划量；0 表示在区间内。告警规则“进线量超出预测区间”基于同一数值。',
        ),
        w: 12,
        h: 4,
        queries: [{ refId: 'A', sql: bandDeviationSql(ctx.db, lastHour, filters), format: 'table', columns: ['business_unit', 'value'], requiresData: false }],
        // One value per business unit (each row), red once it is outside the band at all.
        visual: () =>
          statVisual('value_and_name', 'horizontal')
            .reduceOptions(new ReduceDataOptionsBuilder().values(true).calcs([]).fields('/^value$/'))
            .colorMode(BigValueColorMode.Background)
            .unit('percentunit')
            .decimals(1)
            .colorScheme(byThresholds())
            .thresholds(thresholdSteps([{ value: null, color: 'green' }, { value: 0.000001, color: 'red' }]))
            .noValue('—'),
      }),
      sqlPanel({
        title: t('Contacts per half hour: actual, plan and band, latest re-forecast', '每半小时进线量：实际、计划与预测区间、最新滚动预测'),
        description: t(
          'The day of the range end: contacts per complete half hour, the plan (the latest forecast issued before the day began) with its 95 % band (bands of several series added up), and the latest intraday re-forecast.',
          '所选时间范围结束时刻所在的当天：每个已结束半小时的进线量、计划（当天开始前最新发布的预测）及其 95% 预测区间（多个序列的区间相加），以及最新的日内滚动预测。',
        ),
        w: 24,
        h: 10,
        queries: [
          {
            refId: 'A',
            sql:
              `SELECT p.time AS time, p.forecast AS forecast, p.band_low AS band_low, p.band_high AS band_high, r.reforecast AS reforecast,\n` +
              `  if(p.time + INTERVAL 30 MINUTE <= ${TO}, a.actual, NULL) AS actual\nFROM (\n${indent(planSql(ctx.db, FORECAST_FILTERS))}\n) AS p\n` +
              `LEFT JOIN (\n${indent(reforecastSql(ctx.db, FORECAST_FILTERS))}\n) AS r ON r.time = p.time\nLEFT JOIN (\n${indent(actualSql(ctx.db, FORECAST_METRIC_FILTERS))}\n) AS a ON a.time = p.time\nORDER BY time`,
            format: 'timeSeries',
            columns: ['time', 'forecast', 'band_low', 'band_high', 'reforecast', 'actual'],
            requiresData: true,
            nonNull: ['forecast', 'actual'],
          },
        ],
        visual: (lang) =>
          countLines().overrides([
            ...band(lang),
            field('reforecast', [
              { id: 'displayName', value: lang === 'zh' ? '最新滚动预测' : 'Latest re-forecast' },
              { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
              { id: 'color', value: fixedColor('purple').build() },
            ]),
            field('actual', [
              { id: 'displayName', value: lang === 'zh' ? '实际' : 'Actual' },
              { id: 'custom.lineWidth', value: 3 },
              { id: 'color', value: fixedColor('orange').build() },
            ]),
          ]),
      }),
      sqlPanel({
        title: t('Half hours outside the band', '超出预测区间的半小时'),
        description: t('The day’s complete half hours whose contacts left the plan’s band, per business unit, newest first.', '当天已结束的半小时中进线量超出计划预测区间的时段，按业务单元，最新的在前。'),
        w: 24,
        h: 7,
        queries: [{ refId: 'A', sql: perLang((lang) => outsideBandSql(ctx.db, lang)), format: 'table', columns: ['time', 'business_unit', 'actual', 'forecast', 'band_low', 'band_high', 'side', 'deviation'], requiresData: false }],
        visual: (lang) =>
          tableVisual().overrides([
            field('time', [{ id: 'displayName', value: lang === 'zh' ? '时段' : 'Half hour' }]),
            field('business_unit', [{ id: 'displayName', value: L.businessUnit[lang] }]),
            field('actual', [{ id: 'displayName', value: lang === 'zh' ? '实际' : 'Actual' }, { id: 'decimals', value: 0 }]),
            field('forecast', [{ id: 'displayName', value: lang === 'zh' ? '计划' : 'Plan' }, { id: 'decimals', value: 0 }]),
            field('band_low', [{ id: 'displayName', value: lang === 'zh' ? '下限' : 'Band low' }, { id: 'decimals', value: 0 }]),
            field('band_high', [{ id: 'displayName', value: lang === 'zh' ? '上限' : 'Band high' }, { id: 'decimals', value: 0 }]),
            field('side', [{ id: 'displayName', value: lang === 'zh' ? '方向' : 'Side' }]),
            field('deviation', [{ id: 'displayName', value: lang === 'zh' ? '偏差' : 'Deviation' }, { id: 'unit', value: 'percentunit' }, { id: 'decimals', value: 1 }]),
          ]),
      }),
      row(t('Forecast accuracy', '预测准确率')),
      sqlPanel({
        title: metricName(accuracy),
        description: t(
          `Per day: 1 − |ΣF − ΣA| / ΣA of the contact forecast issued 1 day and 7 days ahead, and of the seasonal-naive baseline (same half hour last week), over the selected business units and channels (Σ numerator / Σ denominator). Dashed line: the target.`,
          `每天：提前 1 天与提前 7 天发布的进线预测，以及季节性朴素基线（上周同一半小时）的 1 − |ΣF − ΣA| / ΣA，按所选业务单元与渠道汇总（Σ分子 / Σ分母）。虚线：目标值。`,
        ),
        w: 12,
        h: 8,
        metrics: [accuracy.id],
        queries: [{ refId: 'A', sql: perLang((lang) => accuracyTrendSql(ctx.db, accuracy.id, accuracy.id, lang, FORECAST_METRIC_FILTERS)), format: 'timeSeries', columns: ['time', 'series', accuracy.id], requiresData: true }],
        visual: () => seriesStyle(timeseriesVisual(), 'line', { thresholds: true }).unit('percentunit').decimals(1).colorScheme(palette()).thresholds(thresholds(accuracy, target)),
      }),
      sqlPanel({
        title: metricName(wape),
        description: t('Per day: Σ|F − A| / ΣA over the day’s half hours, by horizon as the accuracy.', '每天：当天各半小时的 Σ|F − A| / ΣA，按预测提前期区分，同准确率。'),
        w: 12,
        h: 8,
        metrics: [wape.id],
        queries: [{ refId: 'A', sql: perLang((lang) => accuracyTrendSql(ctx.db, wape.id, wape.id, lang, FORECAST_METRIC_FILTERS)), format: 'timeSeries', columns: ['time', 'series', wape.id], requiresData: true }],
        visual: () => seriesStyle(timeseriesVisual(), 'line').unit('percentunit').decimals(1).colorScheme(palette()),
      }),
      sqlPanel({
        title: t('Accuracy by business unit', '各业务单元的预测准确率'),
        description: t('Over the selected range: daily accuracy 1 and 7 days ahead, the baseline’s, and the interval WAPE 1 day ahead.', '所选时间范围内：提前 1 天与 7 天的日准确率、基线准确率，以及提前 1 天的时段 WAPE。'),
        w: 24,
        h: 7,
        queries: [{ refId: 'A', sql: accuracyByUnitSql(ctx.db, FORECAST_METRIC_FILTERS), format: 'table', columns: ['business_unit', 'accuracy_1d', 'accuracy_7d', 'baseline_1d', 'wape_1d'], requiresData: true }],
        visual: (lang) =>
          tableVisual()
            .unit('percentunit')
            .decimals(1)
            .noValue('—')
            .overrides([
              field('business_unit', [{ id: 'displayName', value: L.businessUnit[lang] }]),
              field('accuracy_1d', [
                { id: 'displayName', value: lang === 'zh' ? '准确率（提前 1 天）' : 'Accuracy, 1 day' },
                { id: 'thresholds', value: thresholds(accuracy, target).build() },
                { id: 'color', value: { mode: 'thresholds' } },
                { id: 'custom.cellOptions', value: { type: 'color-text' } },
              ]),
              field('accuracy_7d', [{ id: 'displayName', value: lang === 'zh' ? '准确率（提前 7 天）' : 'Accuracy, 7 days' }]),
              field('baseline_1d', [{ id: 'displayName', value: lang === 'zh' ? '基线准确率（提前 1 天）' : 'Baseline, 1 day' }]),
              field('wape_1d', [{ id: 'displayName', value: lang === 'zh' ? 'WAPE（提前 1 天）' : 'WAPE, 1 day' }]),
            ]),
      }),
      row(t('The next 14 days', '未来 14 天')),
      sqlPanel({
        title: t('Latest forecast per day, next 14 days', '最新预测：未来 14 天每日进线量'),
        description: t('Daily totals of the latest forecast issued by the range end, from the day of the range end, with the 95 % band (bands added up).', '截至所选时间范围结束时最新发布的预测，从当天起每日合计，含 95% 预测区间（区间相加）。'),
        w: 24,
        h: 8,
        queries: [{ refId: 'A', sql: nextDaysSql(ctx.db, FORECAST_FILTERS), format: 'timeSeries', columns: ['time', 'forecast', 'band_low', 'band_high'], requiresData: true, nonNull: ['forecast'] }],
        visual: (lang) => countLines().overrides([...band(lang).slice(0, 2), field('forecast', [{ id: 'displayName', value: lang === 'zh' ? '预测' : 'Forecast' }, { id: 'color', value: BLUE }])]),
      }),
    ],
  };
}

const indent = (sql: string) => sql.replace(/^/gm, '  ');
