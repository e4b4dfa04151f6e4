/** The backtest's figures as Markdown tables (printed by `npm run forecast -- --backtest`). */
import { calendarDays, rollup, type BacktestResult, type ScoredDay } from './backtest.ts';
import { appliesTo, type ForecastEvent } from './calendar.ts';

const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(2)} %` : '—');

export interface ReportMeta {
  title: string;
  target: number;
}

export function backtestReport(r: BacktestResult, events: readonly ForecastEvent[], meta: ReportMeta): string {
  const lines: string[] = [meta.title, ''];
  const series = new Set(r.days.map((d) => `${d.series.kind}|${d.series.businessUnit}|${d.series.segment}`)).size;
  lines.push(`${series} series, ${r.origins.length} origins (${r.origins[0]} – ${r.origins.at(-1)}), model fits ${(r.fitMs / 1000).toFixed(1)} s, fallbacks ${r.fallbacks}.`, '');
  const onCalendar = (d: ScoredDay) => calendarDays(events, d.series, appliesTo).has(d.date);
  const table = (title: string, filter: (d: ScoredDay) => boolean) => {
    lines.push(`**${title}**`, '', '| horizon | forecast | daily accuracy | interval WAPE | band coverage | series-days | worst series-day |', '|---|---|---|---|---|---|---|');
    for (const horizon of [1, 7]) {
      for (const role of ['model', 'baseline'] as const) {
        const sel = r.days.filter((d) => d.horizon === horizon && d.role === role && filter(d));
        if (sel.length === 0) continue;
        const models = [...new Set(sel.map((d) => d.model))].join(', ');
        const x = rollup(sel);
        lines.push(`| ${horizon} d | ${role === 'model' ? models : `baseline: ${models}`} | ${pct(x.accuracy)} | ${pct(x.wape)} | ${pct(x.coverage)} | ${x.days} | ${pct(x.worst)} |`);
      }
    }
    lines.push('');
  };
  table('All days', () => true);
  table('Calendar days only (the series-days with a known event)', onCalendar);
  lines.push('**Daily accuracy by business unit, 1 d ahead** (model / baseline)', '', '| business unit | model | baseline |', '|---|---|---|');
  const units = [...new Set(r.days.map((d) => d.series.businessUnit))].sort();
  for (const unit of units) {
    const of = (role: string) => rollup(r.days.filter((d) => d.horizon === 1 && d.role === role && d.series.businessUnit === unit)).accuracy;
    lines.push(`| ${unit} | ${pct(of('model'))} | ${pct(of('baseline'))} |`);
  }
  lines.push('');
  const model1 = rollup(r.days.filter((d) => d.horizon === 1 && d.role === 'model'));
  const base1 = rollup(r.days.filter((d) => d.horizon === 1 && d.role === 'baseline'));
  const cal1 = rollup(r.days.filter((d) => d.horizon === 1 && d.role === 'model' && onCalendar(d)));
  lines.push(
    `1-day-ahead daily accuracy: model ${pct(model1.accuracy)} (calendar days ${pct(cal1.accuracy)}) vs baseline ${pct(base1.accuracy)}; target ${pct(meta.target)}: ` +
      `${model1.accuracy >= meta.target && cal1.accuracy >= meta.target ? 'met' : 'NOT met'}; model ${model1.accuracy > base1.accuracy && model1.wape < base1.wape ? 'beats' : 'does NOT beat'} the baseline.`,
  );
  return `${lines.join('\n')}\n`;
}
