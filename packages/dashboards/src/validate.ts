/**
 * Checks of a generated dashboard that Grafana's types cannot express.
 *
 * The structure (properties, required fields, types, enums) is the foundation SDK's dashboard model:
 * boards are built with its typed builders, so a misspelt property or a missing required field does
 * not compile. What remains are Grafana's own invariants, checked here at run time: panels inside the
 * 24-column grid and not overlapping, unique panel ids and query refIds, thresholds ascending from a
 * -Infinity (null) base step, the provisioned data source on every panel, query, variable and
 * annotation, template variables that exist, and only the ClickHouse plugin's macros in SQL, written
 * so its macro scanner reads them right.
 */
import type { Dashboard, Panel, RowPanel } from '@grafana/grafana-foundation-sdk/dashboard';
import { DATASOURCE, type ClickHouseQuery } from './grafana.ts';

const GRID_COLUMNS = 24;
const MACROS_WITH_ARGS = ['timeFilter', 'timeInterval', 'conditionalAll'];
const MACROS_WITHOUT_ARGS = ['fromTime', 'toTime', 'interval_s'];

/** Problems of one query's SQL: unknown macros or variables, argument-less macros the plugin would misread. */
export function sqlProblems(sql: string, variables: readonly string[]): string[] {
  const out: string[] = [];
  for (const match of sql.matchAll(/\$__([A-Za-z_]+)/g)) {
    const name = match[1]!;
    const at = match.index! + match[0].length;
    if (MACROS_WITH_ARGS.includes(name)) {
      if (sql[at] !== '(') out.push(`$__${name} needs its arguments in parentheses`);
    } else if (MACROS_WITHOUT_ARGS.includes(name)) {
      // The plugin SDK takes the first "(" after a macro as its argument list: a ")" must come first.
      const paren = /[()]/.exec(sql.slice(at));
      if (paren && paren[0] === '(') out.push(`$__${name} is followed by "(" before any ")": write it as (${'$'}__${name})`);
    } else out.push(`unknown macro $__${name}`);
  }
  for (const match of sql.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g)) {
    const name = match[1] ?? match[2]!;
    if (name.startsWith('__')) continue;
    if (!variables.includes(name)) out.push(`unknown variable $${name}`);
  }
  return out;
}

const isDataSource = (ds: { type?: string; uid?: string } | undefined) => ds?.uid === DATASOURCE.uid && ds?.type === DATASOURCE.type;

function gridProblems(where: string, g: { x: number; y: number; w: number; h: number }): string[] {
  const out: string[] = [];
  if (!Number.isInteger(g.w) || g.w < 1 || g.w > GRID_COLUMNS) out.push(`${where}: gridPos.w: ${g.w} > ${GRID_COLUMNS} or < 1`);
  if (!Number.isInteger(g.h) || g.h < 1) out.push(`${where}: gridPos.h: ${g.h} < 1`);
  if (!Number.isInteger(g.x) || g.x < 0 || g.x >= GRID_COLUMNS) out.push(`${where}: gridPos.x: ${g.x} outside 0–${GRID_COLUMNS - 1}`);
  if (!Number.isInteger(g.y) || g.y < 0) out.push(`${where}: gridPos.y: ${g.y} < 0`);
  if (g.x + g.w > GRID_COLUMNS) out.push(`${where}: x + w = ${g.x + g.w} > ${GRID_COLUMNS}`);
  return out;
}

function thresholdProblems(where: string, p: Panel): string[] {
  const sets = [p.fieldConfig?.defaults.thresholds, ...(p.fieldConfig?.overrides ?? []).flatMap((o) => o.properties.filter((x) => x.id === 'thresholds').map((x) => x.value as { steps: { value: number | null }[] }))];
  const out: string[] = [];
  for (const th of sets) {
    if (!th) continue;
    const steps = th.steps;
    if (!steps.length || steps[0]!.value !== null) out.push(`${where}: thresholds must start with a null (-Infinity) base step`);
    for (let i = 1; i < steps.length; i++) {
      const a = steps[i - 1]!.value;
      const b = steps[i]!.value;
      if (b === null || (a !== null && b <= a)) out.push(`${where}: threshold steps not ascending`);
    }
  }
  return out;
}

/** All problems of a dashboard: layout, ids, data sources, thresholds, SQL. Empty when valid. */
export function validateDashboard(d: Dashboard): string[] {
  const out: string[] = [];
  const ids = new Set<number>();
  const cells = new Map<string, number>();
  const templating = d.templating.list ?? [];
  const variables = templating.map((v) => v.name);
  if (new Set(variables).size !== variables.length) out.push('template variable names are not unique');
  for (const v of templating) {
    if (!isDataSource(v.datasource)) out.push(`variable ${v.name}: data source is not ${DATASOURCE.uid}`);
    if (typeof v.query === 'string') out.push(...sqlProblems(v.query, variables).map((p) => `variable ${v.name}: ${p}`));
  }
  for (const a of d.annotations.list ?? []) {
    if (a.builtIn === 1) continue;
    const target = a.target as ClickHouseQuery | undefined;
    if (!isDataSource(a.datasource) || !isDataSource(target?.datasource)) out.push(`annotation ${a.name}: data source is not ${DATASOURCE.uid}`);
    if (!target?.rawSql) out.push(`annotation ${a.name}: no query`);
    else out.push(...sqlProblems(target.rawSql, variables).map((p) => `annotation ${a.name}: ${p}`));
  }
  for (const p of (d.panels ?? []) as (Panel | RowPanel)[]) {
    const where = `panel ${p.id} "${p.title}"`;
    if (p.id === undefined) out.push(`${where}: no id`);
    else if (ids.has(p.id)) out.push(`${where}: duplicate id`);
    else ids.add(p.id);
    if (!p.gridPos) {
      out.push(`${where}: no gridPos`);
      continue;
    }
    const grid = gridProblems(where, p.gridPos);
    out.push(...grid);
    if (!grid.length) {
      const { x, y, w, h } = p.gridPos;
      for (let i = x; i < x + w; i++)
        for (let j = y; j < y + h; j++) {
          const other = cells.get(`${i},${j}`);
          if (other !== undefined) out.push(`${where}: overlaps panel ${other} at ${i},${j}`);
          cells.set(`${i},${j}`, p.id ?? 0);
        }
    }
    if (p.type === 'row') continue;
    const panel = p as Panel;
    if (!isDataSource(panel.datasource)) out.push(`${where}: data source is not ${DATASOURCE.uid}`);
    const refIds = new Set<string>();
    const targets = (panel.targets ?? []) as ClickHouseQuery[];
    if (!targets.length) out.push(`${where}: no query`);
    for (const t of targets) {
      if (refIds.has(t.refId)) out.push(`${where}: duplicate refId ${t.refId}`);
      refIds.add(t.refId);
      if (!isDataSource(t.datasource)) out.push(`${where} ${t.refId}: data source is not ${DATASOURCE.uid}`);
      out.push(...sqlProblems(t.rawSql, variables).map((e) => `${where} ${t.refId}: ${e}`));
    }
    out.push(...thresholdProblems(where, panel));
  }
  return out;
}
