/**
 * How Grafana evaluates one of the generated alert rules, reproduced for tests (as plugin.ts
 * reproduces the ClickHouse plugin):
 *
 * 1. query A runs over its relativeTimeRange before the evaluation time, with its intervalMs, the
 *    plugin's macros expanded (expandQuery);
 * 2. a table result becomes one number per row, labelled by the row's string columns (Grafana's
 *    "numeric" conversion of table data: exactly one numeric column);
 * 3. the threshold expression C compares each number; a row that passes it fires;
 * 4. no rows at all is NoData, which becomes the rule's noDataState.
 *
 * The pending period (`for`) is not modelled: this is one evaluation.
 */
import type { ProvisionedRule } from './alerts.ts';
import type { ClickHouseQuery } from './grafana.ts';
import { expandQuery } from './plugin.ts';

export interface QueryResult {
  columns: readonly { name: string; type: string }[];
  rows: readonly (readonly unknown[])[];
}

export interface Series {
  labels: Record<string, string>;
  value: number | null;
}

export interface Evaluation {
  /** Normal, Alerting, or NoData/OK per the rule's noDataState when A returned no rows. */
  state: 'Normal' | 'Alerting' | 'NoData';
  noData: boolean;
  series: Series[];
  /** The series that pass the condition. */
  firing: Series[];
  sql: string;
}

const NUMERIC = /^(Nullable\()?(U?Int\d+|Float\d+|Decimal)/;

interface Threshold {
  expression: string;
  conditions: { evaluator: { type: string; params: number[] } }[];
}

function passes(value: number | null, evaluator: { type: string; params: number[] }): boolean {
  if (value === null || Number.isNaN(value)) return false;
  const [a] = evaluator.params;
  switch (evaluator.type) {
    case 'gt':
      return value > a!;
    case 'lt':
      return value < a!;
    default:
      throw new Error(`threshold ${evaluator.type} is not emulated`);
  }
}

export async function evaluateRule(rule: ProvisionedRule, run: (sql: string) => Promise<QueryResult>, now: number = Date.now()): Promise<Evaluation> {
  const a = rule.data.find((q) => q.refId === 'A')!;
  const c = rule.data.find((q) => q.refId === rule.condition)!;
  const model = a.model as ClickHouseQuery;
  const condition = c.model as unknown as Threshold;
  if (condition.expression !== 'A' || condition.conditions.length !== 1) throw new Error(`${rule.uid}: only a threshold on A is emulated`);
  const sql = expandQuery(model.rawSql, { from: now - a.relativeTimeRange.from * 1000, to: now - a.relativeTimeRange.to * 1000, intervalMs: model.intervalMs ?? 1000, variables: {} });
  const result = await run(sql);
  const numeric = result.columns.flatMap((col, i) => (NUMERIC.test(col.type) ? [i] : []));
  if (result.rows.length && numeric.length !== 1) throw new Error(`${rule.uid}: ${numeric.length} numeric columns; Grafana needs exactly one`);
  const series = result.rows.map((row): Series => {
    const labels: Record<string, string> = {};
    result.columns.forEach((col, i) => {
      if (i !== numeric[0]) labels[col.name] = String(row[i]);
    });
    const v = row[numeric[0]!];
    return { labels, value: v === null || v === undefined ? null : Number(v) };
  });
  const firing = series.filter((s) => passes(s.value, condition.conditions[0]!.evaluator));
  if (!series.length) {
    const state = rule.noDataState === 'Alerting' ? 'Alerting' : rule.noDataState === 'OK' ? 'Normal' : 'NoData';
    return { state, noData: true, series, firing, sql };
  }
  return { state: firing.length ? 'Alerting' : 'Normal', noData: false, series, firing, sql };
}
