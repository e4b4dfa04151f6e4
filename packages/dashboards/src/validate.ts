/**
 * Validation of dashboard JSON without a Grafana server.
 *
 * No package ships Grafana's dashboard JSON schema (`@grafana/schema` and
 * `@grafana/grafana-foundation-sdk` ship TypeScript types only), so this is a structural validator
 * for the part of the dashboard model (schemaVersion 36–42, the v1 "dashboard kind") that the
 * generator emits, following the schema's rules: closed objects (unknown properties are errors),
 * required properties, types and enums, grid positions inside 24 columns; and Grafana's own
 * invariants on top: unique panel ids, non-overlapping panels, thresholds sorted from a -Infinity
 * (null) base step, the provisioned data source on every panel and query, template variables that
 * exist, and only the ClickHouse plugin's macros in SQL, written so its macro scanner reads them right.
 */
import { DATASOURCE } from './grafana.ts';

type Schema =
  | { kind: 'object'; props: Record<string, Schema>; required?: readonly string[]; values?: Schema }
  | { kind: 'string'; enum?: readonly string[]; minLength?: number; pattern?: RegExp }
  | { kind: 'integer'; min?: number; max?: number }
  | { kind: 'number'; nullable?: boolean }
  | { kind: 'boolean' }
  | { kind: 'array'; items: Schema }
  | { kind: 'anyOf'; options: readonly Schema[] }
  | { kind: 'enum'; values: readonly (string | number)[] }
  | { kind: 'any' };

const str = (extra: Omit<Extract<Schema, { kind: 'string' }>, 'kind'> = {}): Schema => ({ kind: 'string', ...extra });
const int = (min?: number, max?: number): Schema => ({ kind: 'integer', ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) });
const num: Schema = { kind: 'number' };
const bool: Schema = { kind: 'boolean' };
const any: Schema = { kind: 'any' };
const arr = (items: Schema): Schema => ({ kind: 'array', items });
const obj = (props: Record<string, Schema>, required: readonly string[] = []): Schema => ({ kind: 'object', props, required });
const map = (values: Schema): Schema => ({ kind: 'object', props: {}, values });
const oneOf = (...values: (string | number)[]): Schema => ({ kind: 'enum', values });

const dataSourceRef = obj({ type: str(), uid: str() });
const gridPos = obj({ h: int(1), w: int(1, 24), x: int(0, 23), y: int(0), static: bool }, ['h', 'w', 'x', 'y']);
const threshold = obj({ value: { kind: 'number', nullable: true }, color: str({ minLength: 1 }) }, ['value', 'color']);
const thresholdsConfig = obj({ mode: oneOf('absolute', 'percentage'), steps: arr(threshold) }, ['mode', 'steps']);
const fieldColor = obj(
  {
    mode: oneOf('thresholds', 'palette-classic', 'palette-classic-by-name', 'continuous-GrYlRd', 'continuous-RdYlGr', 'continuous-BlYlRd', 'continuous-YlRd', 'continuous-BlPu', 'continuous-YlBl', 'continuous-blues', 'continuous-reds', 'continuous-greens', 'continuous-purples', 'fixed', 'shades'),
    fixedColor: str(),
    seriesBy: oneOf('min', 'max', 'last'),
  },
  ['mode'],
);
const valueMappingResult = obj({ text: str(), color: str(), icon: str(), index: int() });
const valueMapping: Schema = { kind: 'anyOf', options: [obj({ type: oneOf('value'), options: map(valueMappingResult) }, ['type', 'options'])] };
const matcherConfig = obj({ id: str(), options: any }, ['id']);
const fieldConfig = obj({
  displayName: str(),
  displayNameFromDS: str(),
  description: str(),
  path: str(),
  writeable: bool,
  filterable: bool,
  unit: str(),
  decimals: num,
  min: num,
  max: num,
  mappings: arr(valueMapping),
  thresholds: thresholdsConfig,
  color: fieldColor,
  links: arr(map(any)),
  noValue: str(),
  custom: map(any),
});
const fieldConfigSource = obj(
  {
    defaults: fieldConfig,
    // DynamicConfigValue.value is CUE `_` (any value) in the dashboard kind.
    overrides: arr(obj({ matcher: matcherConfig, properties: arr(obj({ id: str(), value: any }, ['id'])) }, ['matcher', 'properties'])),
  },
  ['defaults', 'overrides'],
);
const dashboardLink = obj(
  {
    title: str(),
    type: oneOf('link', 'dashboards'),
    icon: str(),
    tooltip: str(),
    url: str(),
    tags: arr(str()),
    asDropdown: bool,
    targetBlank: bool,
    includeVars: bool,
    keepTime: bool,
  },
  ['title', 'type', 'icon', 'tooltip', 'tags', 'asDropdown', 'targetBlank', 'includeVars', 'keepTime'],
);
const transformation = obj({ id: str(), disabled: bool, filter: matcherConfig, options: map(any) }, ['id', 'options']);
/** The ClickHouse plugin's SQL query (editorType sql). */
const clickHouseTarget = obj(
  {
    refId: str({ minLength: 1 }),
    datasource: dataSourceRef,
    editorType: oneOf('sql'),
    format: oneOf(0, 1),
    queryType: oneOf('timeSeries', 'table'),
    rawSql: str({ minLength: 1 }),
  },
  ['refId', 'datasource', 'editorType', 'format', 'queryType', 'rawSql'],
);
const panel = obj(
  {
    type: str({ enum: ['stat', 'timeseries', 'table', 'barchart', 'bargauge', 'text'] }),
    id: int(1),
    pluginVersion: str(),
    tags: arr(str()),
    targets: arr(clickHouseTarget),
    title: str(),
    description: str(),
    transparent: bool,
    datasource: dataSourceRef,
    gridPos,
    links: arr(dashboardLink),
    repeat: str(),
    repeatDirection: oneOf('h', 'v'),
    maxPerRow: num,
    maxDataPoints: num,
    transformations: arr(transformation),
    interval: str({ pattern: /^\d+[smhdwy]$/ }),
    timeFrom: str(),
    timeShift: str(),
    hideTimeOverride: bool,
    options: map(any),
    fieldConfig: fieldConfigSource,
  },
  ['type', 'id', 'title', 'gridPos', 'datasource', 'targets', 'options', 'fieldConfig'],
);
const rowPanel = obj(
  { type: oneOf('row'), collapsed: bool, title: str(), datasource: dataSourceRef, gridPos, id: int(1), panels: arr(panel), repeat: str() },
  ['type', 'collapsed', 'id', 'panels', 'gridPos', 'title'],
);
const variableOption = obj(
  {
    selected: bool,
    text: { kind: 'anyOf', options: [str(), arr(str())] },
    value: { kind: 'anyOf', options: [str(), arr(str())] },
  },
  ['text', 'value'],
);
const variable = obj(
  {
    type: oneOf('query', 'adhoc', 'constant', 'datasource', 'interval', 'textbox', 'custom', 'system'),
    name: str({ pattern: /^[A-Za-z_][A-Za-z0-9_]*$/ }),
    label: str(),
    hide: oneOf(0, 1, 2),
    skipUrlSync: bool,
    description: str(),
    query: { kind: 'anyOf', options: [str({ minLength: 1 }), map(any)] },
    datasource: dataSourceRef,
    current: variableOption,
    multi: bool,
    options: arr(variableOption),
    refresh: oneOf(0, 1, 2),
    sort: oneOf(0, 1, 2, 3, 4, 5, 6, 7, 8),
    includeAll: bool,
    allValue: str(),
    regex: str(),
  },
  ['type', 'name'],
);
const annotationQuery = obj(
  { name: str(), datasource: dataSourceRef, enable: bool, hide: bool, iconColor: str(), filter: map(any), target: map(any), type: str(), builtIn: num },
  ['name', 'datasource', 'enable', 'iconColor'],
);
export const DASHBOARD_SCHEMA: Schema = obj(
  {
    id: int(),
    uid: str({ pattern: /^[A-Za-z0-9_-]{1,40}$/ }),
    title: str({ minLength: 1 }),
    description: str(),
    revision: int(),
    gnetId: str(),
    tags: arr(str()),
    timezone: str(),
    editable: bool,
    graphTooltip: oneOf(0, 1, 2),
    time: obj({ from: str({ minLength: 1 }), to: str({ minLength: 1 }) }, ['from', 'to']),
    timepicker: obj({ hidden: bool, refresh_intervals: arr(str()), time_options: arr(str()) }, ['hidden', 'refresh_intervals', 'time_options']),
    fiscalYearStartMonth: int(0, 11),
    liveNow: bool,
    weekStart: str(),
    refresh: { kind: 'anyOf', options: [str(), bool] },
    schemaVersion: int(36, 42),
    version: int(),
    panels: arr({ kind: 'anyOf', options: [rowPanel, panel] }),
    templating: obj({ list: arr(variable) }),
    annotations: obj({ list: arr(annotationQuery) }),
    links: arr(dashboardLink),
  },
  ['uid', 'title', 'schemaVersion', 'templating', 'annotations', 'panels', 'time'],
);

function typeErrors(value: unknown, schema: Schema, path: string): string[] {
  const e = (msg: string) => [`${path}: ${msg}`];
  switch (schema.kind) {
    case 'any':
      return value === undefined ? e('missing') : [];
    case 'string':
      if (typeof value !== 'string') return e(`expected a string, got ${JSON.stringify(value)}`);
      if (schema.minLength !== undefined && value.length < schema.minLength) return e('too short');
      if (schema.enum && !schema.enum.includes(value)) return e(`"${value}" is not one of ${schema.enum.join(', ')}`);
      if (schema.pattern && !schema.pattern.test(value)) return e(`"${value}" does not match ${schema.pattern}`);
      return [];
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return e(`expected an integer, got ${JSON.stringify(value)}`);
      if (schema.min !== undefined && value < schema.min) return e(`${value} < ${schema.min}`);
      if (schema.max !== undefined && value > schema.max) return e(`${value} > ${schema.max}`);
      return [];
    case 'number':
      if (value === null && schema.nullable) return [];
      return typeof value === 'number' && Number.isFinite(value) ? [] : e(`expected a number, got ${JSON.stringify(value)}`);
    case 'boolean':
      return typeof value === 'boolean' ? [] : e(`expected a boolean, got ${JSON.stringify(value)}`);
    case 'enum':
      return schema.values.includes(value as string | number) ? [] : e(`${JSON.stringify(value)} is not one of ${schema.values.join(', ')}`);
    case 'array':
      if (!Array.isArray(value)) return e('expected an array');
      return value.flatMap((v, i) => typeErrors(v, schema.items, `${path}[${i}]`));
    case 'anyOf': {
      const results = schema.options.map((o) => typeErrors(value, o, path));
      return results.some((r) => r.length === 0) ? [] : results.reduce((a, b) => (a.length <= b.length ? a : b));
    }
    case 'object': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return e('expected an object');
      const o = value as Record<string, unknown>;
      const out: string[] = [];
      for (const r of schema.required ?? []) if (o[r] === undefined) out.push(`${path}.${r}: required`);
      for (const [k, v] of Object.entries(o)) {
        const s = schema.props[k] ?? schema.values;
        if (!s) out.push(`${path}.${k}: unknown property`);
        else out.push(...typeErrors(v, s, `${path}.${k}`));
      }
      return out;
    }
  }
}

const MACROS_WITH_ARGS = ['timeFilter', 'timeInterval', 'conditionalAll'];
const MACROS_WITHOUT_ARGS = ['fromTime', 'toTime', 'interval_s'];

/** Problems of one panel query's SQL: unknown macros or variables, argument-less macros the plugin would misread. */
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

type AnyPanel = { type: string; id: number; title: string; gridPos: { x: number; y: number; w: number; h: number }; datasource?: { type?: string; uid?: string }; targets?: { refId: string; datasource?: { type?: string; uid?: string }; rawSql: string }[]; fieldConfig?: { defaults: { thresholds?: { steps: { value: number | null }[] } }; overrides: { properties: { id: string; value?: unknown }[] }[] } };

/** All problems of a dashboard: schema, layout, ids, data sources, thresholds, SQL. Empty when valid. */
export function validateDashboard(dashboard: unknown): string[] {
  const errors = typeErrors(dashboard, DASHBOARD_SCHEMA, '$');
  if (errors.length) return errors;
  const d = dashboard as { panels: AnyPanel[]; templating: { list: { name: string; query?: unknown; datasource?: { uid?: string } }[] } };
  const out: string[] = [];
  const ids = new Set<number>();
  const cells = new Map<string, number>();
  const variables = d.templating.list.map((v) => v.name);
  if (new Set(variables).size !== variables.length) out.push('template variable names are not unique');
  for (const v of d.templating.list) {
    if (v.datasource?.uid !== DATASOURCE.uid) out.push(`variable ${v.name}: data source is not ${DATASOURCE.uid}`);
    if (typeof v.query === 'string') out.push(...sqlProblems(v.query, variables).map((p) => `variable ${v.name}: ${p}`));
  }
  for (const p of d.panels) {
    const where = `panel ${p.id} "${p.title}"`;
    if (ids.has(p.id)) out.push(`${where}: duplicate id`);
    ids.add(p.id);
    const { x, y, w, h } = p.gridPos;
    if (x + w > 24) out.push(`${where}: x + w = ${x + w} > 24`);
    for (let i = x; i < x + w; i++)
      for (let j = y; j < y + h; j++) {
        const other = cells.get(`${i},${j}`);
        if (other !== undefined) out.push(`${where}: overlaps panel ${other} at ${i},${j}`);
        cells.set(`${i},${j}`, p.id);
      }
    if (p.type === 'row') continue;
    if (p.datasource?.uid !== DATASOURCE.uid || p.datasource?.type !== DATASOURCE.type) out.push(`${where}: data source is not ${DATASOURCE.uid}`);
    const refIds = new Set<string>();
    if (!p.targets?.length) out.push(`${where}: no query`);
    for (const t of p.targets ?? []) {
      if (refIds.has(t.refId)) out.push(`${where}: duplicate refId ${t.refId}`);
      refIds.add(t.refId);
      if (t.datasource?.uid !== DATASOURCE.uid || t.datasource?.type !== DATASOURCE.type) out.push(`${where} ${t.refId}: data source is not ${DATASOURCE.uid}`);
      out.push(...sqlProblems(t.rawSql, variables).map((e) => `${where} ${t.refId}: ${e}`));
    }
    const thresholdSets = [p.fieldConfig?.defaults.thresholds, ...(p.fieldConfig?.overrides ?? []).flatMap((o) => o.properties.filter((x) => x.id === 'thresholds').map((x) => x.value as { steps: { value: number | null }[] }))];
    for (const th of thresholdSets) {
      if (!th) continue;
      const steps = th.steps;
      if (!steps.length || steps[0]!.value !== null) out.push(`${where}: thresholds must start with a null (-Infinity) base step`);
      for (let i = 1; i < steps.length; i++) {
        const a = steps[i - 1]!.value;
        const b = steps[i]!.value;
        if (b === null || (a !== null && b <= a)) out.push(`${where}: threshold steps not ascending`);
      }
    }
  }
  return out;
}
