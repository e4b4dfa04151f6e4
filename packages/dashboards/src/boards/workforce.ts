/**
 * Workforce and cost: staffed hours and headcount, in-house vs outsourced. Agent metrics keep the
 * site type in the product column. Staffed hours add up; headcount (distinct agents per bucket and
 * business unit) never does: it is shown per bucket of one grain and per business unit. Agents
 * required by the calls forecast (services/forecaster, cs.staffing) against agents staffed, and the gap.
 */
import { LineInterpolation } from '@grafana/grafana-foundation-sdk/common';
import type { MetricId } from '@cs/catalog';
import type { BoardSpec } from '../board.ts';
import { fixedColor, palette, thresholdSteps } from '../grafana.ts';
import { field, row, seriesStyle, sqlPanel, statVisual, tableVisual, timeseriesVisual, type Ctx } from '../panels.ts';
import { requiredVsStaffedSql, staffingGapSql } from '../forecast-sql.ts';
import { BU_FILTER, FROM, INTERVAL_GRAIN, RANGE_GRAIN, SERIES_TIME, TO, WORKFORCE_FILTERS, andConditions, rangeGrain } from '../sql.ts';
import { L, t, type Lang, type Text } from '../text.ts';
import { workforceVariables } from './common.ts';

/** Headcount's own grain: minute buckets up to 6 hours, hour buckets up to 31 days, then days. */
export const HEADCOUNT_GRAIN = rangeGrain(6 * 3600, 31 * 86400);

const siteLabel = (lang: Lang) => `transform(product, ['IN_HOUSE', 'OUTSOURCED'], ['${L.inHouse[lang]}', '${L.outsourced[lang]}'], product)`;
const perLang = (f: (lang: Lang) => string): Text => ({ en: f('en'), zh: f('zh') });

export function workforceBoard(ctx: Ctx): BoardSpec {
  const wf = andConditions(WORKFORCE_FILTERS);
  const bu = andConditions(BU_FILTER);
  const staffed = (grain: string) => `FROM ${ctx.db}.metrics\nWHERE grain = ${grain}\n  AND metric = 'staffed_hours'\n  AND $__timeFilter(bucket)${wf}`;
  /** A stat of Σ numerator of a metric per staffed hour (contacts; human_answer_rate's numerator = answered calls). */
  const perStaffedHour = (title: Text, metricId: MetricId, alias: string) =>
    sqlPanel({
      title,
      description: t('Over the selected range and business units, all site types: the figure divided by Σ staffed hours.', '所选时间范围与业务单元内（全部站点类型）：该数值除以 Σ 在岗工时。'),
      w: 6,
      h: 4,
      queries: [
        {
          refId: 'A',
          sql:
            `SELECT\n  sumIf(numerator, metric = '${metricId}') / nullIf(sumIf(numerator, metric = 'staffed_hours'), 0) AS ${alias}\nFROM ${ctx.db}.metrics\nWHERE grain = ${RANGE_GRAIN}\n  AND $__timeFilter(bucket)\n` +
            `  AND metric IN ('staffed_hours', '${metricId}')${bu}`,
          format: 'table',
          columns: [alias],
          requiresData: true,
          nonNull: [alias],
        },
      ],
      visual: () => statVisual('value').unit('none').decimals(2).colorScheme(fixedColor('blue')),
    });
  return {
    key: 'workforce',
    file: 'workforce-and-cost',
    title: t('Workforce and cost', '人力与成本'),
    description: t(
      'Staffed hours and headcount of agents, in-house vs outsourced, and contacts and answered calls per staffed hour. Headcount counts distinct agents per bucket and business unit and is never added across buckets or business units.',
      '坐席在岗工时与在岗人数（自有 vs 外包），以及每在岗工时的进线量与接通来电数。在岗人数为每个时间段、每个业务单元的不同坐席数，不跨时间段或业务单元相加。',
    ),
    tags: ['workforce'],
    time: { from: 'now-7d', to: 'now' },
    refresh: '5m',
    variables: workforceVariables(ctx.db),
    items: [
      row(t('Staffed hours', '在岗工时')),
      sqlPanel({
        title: t('Staffed hours: in-house vs outsourced', '在岗工时：自有 vs 外包'),
        description: t('Σ logged-in agent hours in the selected range per site type.', '所选时间范围内按站点类型的坐席登录工时之和。'),
        w: 8,
        h: 4,
        metrics: ['staffed_hours'],
        queries: [
          {
            refId: 'A',
            sql: `SELECT\n  sumIf(numerator, product = 'IN_HOUSE') AS in_house,\n  sumIf(numerator, product = 'OUTSOURCED') AS outsourced\n${staffed(RANGE_GRAIN)}`,
            format: 'table',
            columns: ['in_house', 'outsourced'],
            requiresData: true,
            nonNull: ['in_house', 'outsourced'],
          },
        ],
        visual: (lang) => statVisual('value_and_name', 'vertical').unit('h').decimals(0).colorScheme(fixedColor('blue')).overrides([field('in_house', [{ id: 'displayName', value: L.inHouse[lang] }]), field('outsourced', [{ id: 'displayName', value: L.outsourced[lang] }])]),
      }),
      sqlPanel({
        title: t('Outsourced share of staffed hours', '外包工时占比'),
        description: t('Σ outsourced staffed hours / Σ staffed hours over the selected range.', '所选时间范围内外包在岗工时之和 / 全部在岗工时之和。'),
        w: 4,
        h: 4,
        queries: [
          {
            refId: 'A',
            sql: `SELECT\n  sumIf(numerator, product = 'OUTSOURCED') / nullIf(sum(numerator), 0) AS outsourced_share\n${staffed(RANGE_GRAIN)}`,
            format: 'table',
            columns: ['outsourced_share'],
            requiresData: true,
            nonNull: ['outsourced_share'],
          },
        ],
        visual: () => statVisual('value').unit('percentunit').decimals(1).colorScheme(fixedColor('blue')),
      }),
      perStaffedHour(t('Contacts per staffed hour', '每在岗工时进线量'), 'contacts', 'contacts_per_staffed_hour'),
      perStaffedHour(t('Answered calls per staffed hour', '每在岗工时接通来电'), 'human_answer_rate', 'answered_per_staffed_hour'),
      sqlPanel({
        title: t('Staffed hours by site type', '按站点类型的在岗工时'),
        description: t('Σ staffed hours per panel interval, stacked by site type.', '每个时间间隔内的在岗工时之和，按站点类型堆叠。'),
        w: 24,
        h: 8,
        interval: '1m',
        queries: [
          {
            refId: 'A',
            sql: perLang(
              (lang) =>
                `SELECT\n  ${SERIES_TIME} AS time,\n  ${siteLabel(lang)} AS site_type,\n  sum(numerator) AS staffed_hours\n${staffed(INTERVAL_GRAIN)}\nGROUP BY time, site_type\nORDER BY time, site_type`,
            ),
            format: 'timeSeries',
            columns: ['time', 'site_type', 'staffed_hours'],
            requiresData: true,
          },
        ],
        visual: () => seriesStyle(timeseriesVisual(), 'bars', { stacked: true }).unit('h').decimals(1).colorScheme(palette()),
      }),
      row(t('Headcount', '在岗人数')),
      sqlPanel({
        title: t('Headcount per bucket by site type and business unit', '各时间段在岗人数（按站点类型与业务单元）'),
        description: t(
          'Distinct agents logged in during each bucket (minute buckets for ranges up to 6 h, hours up to 31 days, then days), per site type and business unit. Headcount is never added across buckets or business units.',
          '每个时间段内登录过的不同坐席数（6 小时以内按分钟，31 天以内按小时，否则按天），按站点类型与业务单元。在岗人数不跨时间段或业务单元相加。',
        ),
        w: 24,
        h: 9,
        queries: [
          {
            refId: 'A',
            sql: perLang(
              (lang) =>
                `SELECT\n  bucket AS time,\n  concat(${siteLabel(lang)}, ' · ', business_unit) AS series,\n  max(numerator) AS headcount\nFROM ${ctx.db}.metrics\n` +
                `WHERE metric = 'headcount'\n  AND grain = ${HEADCOUNT_GRAIN}\n  AND $__timeFilter(bucket)${wf}\nGROUP BY time, series\nORDER BY time, series`,
            ),
            format: 'timeSeries',
            columns: ['time', 'series', 'headcount'],
            requiresData: true,
          },
        ],
        visual: () => seriesStyle(timeseriesVisual(), 'line').lineInterpolation(LineInterpolation.StepAfter).unit('none').decimals(0).colorScheme(palette()),
      }),
      sqlPanel({
        title: t('Daily headcount and staffed hours', '每日在岗人数与工时'),
        description: t(
          'Per day (day buckets overlapping the selected range), business unit and site type: distinct agents, staffed hours and hours per head.',
          '按日（与所选时间范围重叠的日期）、业务单元与站点类型：不同坐席数、在岗工时与人均工时。',
        ),
        w: 24,
        h: 10,
        queries: [
          {
            refId: 'A',
            sql: perLang(
              (lang) =>
                `SELECT\n  bucket AS day,\n  business_unit,\n  ${siteLabel(lang)} AS site_type,\n  sumIf(numerator, metric = 'headcount') AS headcount,\n  sumIf(numerator, metric = 'staffed_hours') AS staffed_hours,\n` +
                `  staffed_hours / nullIf(headcount, 0) AS hours_per_head\nFROM ${ctx.db}.metrics\nWHERE grain = 'day'\n  AND metric IN ('headcount', 'staffed_hours')\n` +
                `  AND bucket > ${FROM} - INTERVAL 1 DAY AND bucket <= ${TO}${wf}\nGROUP BY day, business_unit, product\nORDER BY day DESC, business_unit, site_type`,
            ),
            format: 'table',
            columns: ['day', 'business_unit', 'site_type', 'headcount', 'staffed_hours', 'hours_per_head'],
            requiresData: true,
          },
        ],
        visual: (lang) =>
          tableVisual().overrides([
            field('day', [{ id: 'displayName', value: L.day[lang] }, { id: 'unit', value: 'time:YYYY-MM-DD' }]),
            field('business_unit', [{ id: 'displayName', value: L.businessUnit[lang] }]),
            field('site_type', [{ id: 'displayName', value: L.siteType[lang] }]),
            field('headcount', [{ id: 'displayName', value: lang === 'zh' ? '在岗人数' : 'Headcount' }, { id: 'decimals', value: 0 }]),
            field('staffed_hours', [{ id: 'displayName', value: lang === 'zh' ? '在岗工时' : 'Staffed hours' }, { id: 'unit', value: 'h' }, { id: 'decimals', value: 1 }]),
            field('hours_per_head', [{ id: 'displayName', value: lang === 'zh' ? '人均工时' : 'Hours per head' }, { id: 'unit', value: 'h' }, { id: 'decimals', value: 1 }]),
          ]),
      }),
      row(t('Forecast staffing: required vs staffed agents', '预测排班：所需 vs 在岗坐席')),
      sqlPanel({
        title: t('Agents required vs staffed, per half hour', '每半小时所需坐席 vs 在岗坐席'),
        description: t(
          'Agents required for the calls forecast (the latest staffing issued before the half hour began: Erlang C, or Erlang A where abandonment is known, for the target service level) against agents logged in on average (Σ staffed hours / 0.5 h), in-house and outsourced. Required agents are for calls only; staffed agents also handle chats.',
          '按来电预测所需的坐席数（该半小时开始前最新发布的排班：按目标服务水平用 Erlang C，或在有放弃数据时用 Erlang A）与平均在岗坐席数（Σ 在岗工时 / 0.5 小时，自有与外包）的对比。所需坐席仅针对来电；在岗坐席同时处理在线会话。',
        ),
        w: 24,
        h: 9,
        queries: [
          {
            refId: 'A',
            sql: requiredVsStaffedSql(ctx.db, BU_FILTER, WORKFORCE_FILTERS),
            format: 'timeSeries',
            columns: ['time', 'agents_required', 'in_house', 'outsourced'],
            requiresData: true,
            nonNull: ['agents_required'],
          },
        ],
        visual: (lang) =>
          seriesStyle(timeseriesVisual(), 'line')
            .lineInterpolation(LineInterpolation.StepAfter)
            .unit('none')
            .decimals(0)
            .colorScheme(palette())
            .overrides([
              field('agents_required', [{ id: 'displayName', value: lang === 'zh' ? '所需坐席' : 'Agents required' }, { id: 'custom.lineWidth', value: 3 }]),
              // In-house and outsourced stacked: together, the agents staffed.
              field('in_house', [{ id: 'displayName', value: L.inHouse[lang] }, { id: 'custom.stacking', value: { mode: 'normal', group: 'staffed' } }, { id: 'custom.fillOpacity', value: 30 }]),
              field('outsourced', [{ id: 'displayName', value: L.outsourced[lang] }, { id: 'custom.stacking', value: { mode: 'normal', group: 'staffed' } }, { id: 'custom.fillOpacity', value: 30 }]),
            ]),
      }),
      sqlPanel({
        title: t('Staffing gap per half hour and business unit', '各业务单元每半小时的排班缺口'),
        description: t(
          'Staffed agents (in-house + outsourced) minus agents required, per business unit and half hour of the selected range, the largest shortfalls first (top 100).',
          '所选时间范围内，按业务单元与半小时：在岗坐席（自有 + 外包）减去所需坐席，缺口最大的在前（前 100）。',
        ),
        w: 24,
        h: 9,
        queries: [{ refId: 'A', sql: staffingGapSql(ctx.db, BU_FILTER), format: 'table', columns: ['time', 'business_unit', 'agents_required', 'in_house', 'outsourced', 'gap'], requiresData: true }],
        visual: (lang) =>
          tableVisual()
            .decimals(1)
            .noValue('—')
            .overrides([
              field('time', [{ id: 'displayName', value: lang === 'zh' ? '时段' : 'Half hour' }]),
              field('business_unit', [{ id: 'displayName', value: L.businessUnit[lang] }]),
              field('agents_required', [{ id: 'displayName', value: lang === 'zh' ? '所需坐席' : 'Required' }, { id: 'decimals', value: 0 }]),
              field('in_house', [{ id: 'displayName', value: L.inHouse[lang] }]),
              field('outsourced', [{ id: 'displayName', value: L.outsourced[lang] }]),
              field('gap', [
                { id: 'displayName', value: lang === 'zh' ? '缺口（在岗 − 所需）' : 'Gap (staffed − required)' },
                { id: 'thresholds', value: thresholdSteps([{ value: null, color: 'red' }, { value: 0, color: 'green' }]).build() },
                { id: 'color', value: { mode: 'thresholds' } },
                { id: 'custom.cellOptions', value: { type: 'color-text' } },
              ]),
            ]),
      }),
    ],
  };
}
