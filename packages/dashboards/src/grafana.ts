/**
 * The subset of Grafana's dashboard JSON model (schemaVersion 41, the v1 "dashboard kind") that the
 * generator emits, as plain TypeScript types. Field names and shapes follow Grafana's dashboard
 * schema; `validate.ts` checks generated dashboards against the same rules at run time.
 */

export const SCHEMA_VERSION = 41;

/** The provisioned ClickHouse data source (deploy/grafana/provisioning/datasources/clickhouse.yaml). */
export const DATASOURCE = { type: 'grafana-clickhouse-datasource', uid: 'cs-clickhouse' } as const;

export interface DataSourceRef {
  type?: string;
  uid?: string;
}

export interface GridPos {
  h: number;
  w: number;
  x: number;
  y: number;
}

export interface Threshold {
  /** null stands for -Infinity (the base step). */
  value: number | null;
  color: string;
}

export interface ThresholdsConfig {
  mode: 'absolute' | 'percentage';
  steps: Threshold[];
}

export interface FieldColor {
  mode: 'thresholds' | 'palette-classic' | 'palette-classic-by-name' | 'fixed' | 'shades' | 'continuous-GrYlRd' | 'continuous-RdYlGr';
  fixedColor?: string;
}

export interface FieldConfig {
  displayName?: string;
  description?: string;
  unit?: string;
  decimals?: number;
  min?: number;
  max?: number;
  noValue?: string;
  thresholds?: ThresholdsConfig;
  color?: FieldColor;
  links?: DataLink[];
  mappings?: ValueMapping[];
  custom?: Record<string, unknown>;
}

export interface DataLink {
  title: string;
  url: string;
  targetBlank?: boolean;
}

export interface ValueMapping {
  type: 'value';
  options: Record<string, { text?: string; color?: string; index?: number }>;
}

export interface MatcherConfig {
  id: string;
  options?: unknown;
}

export interface DynamicConfigValue {
  id: string;
  value?: unknown;
}

export interface FieldConfigOverride {
  matcher: MatcherConfig;
  properties: DynamicConfigValue[];
}

export interface FieldConfigSource {
  defaults: FieldConfig;
  overrides: FieldConfigOverride[];
}

/** A query of the ClickHouse data source plugin (SQL editor mode). */
export interface ClickHouseTarget {
  refId: string;
  datasource: DataSourceRef;
  editorType: 'sql';
  /** sqlds format: 0 = time series (long frames become wide), 1 = table. */
  format: 0 | 1;
  queryType: 'timeSeries' | 'table';
  rawSql: string;
}

export type PanelType = 'stat' | 'timeseries' | 'table' | 'barchart' | 'bargauge' | 'text';

export interface Panel {
  type: PanelType;
  id: number;
  title: string;
  description?: string;
  gridPos: GridPos;
  datasource?: DataSourceRef;
  targets?: ClickHouseTarget[];
  fieldConfig: FieldConfigSource;
  options: Record<string, unknown>;
  /** Minimum $__interval (e.g. "1m": the finest bucket of cs.metrics). */
  interval?: string;
  maxDataPoints?: number;
  transformations?: { id: string; options: Record<string, unknown> }[];
  transparent?: boolean;
}

export interface RowPanel {
  type: 'row';
  id: number;
  title: string;
  collapsed: boolean;
  gridPos: GridPos;
  panels: Panel[];
}

export interface VariableOption {
  selected?: boolean;
  text: string | string[];
  value: string | string[];
}

export interface QueryVariable {
  type: 'query';
  name: string;
  label: string;
  description?: string;
  datasource: DataSourceRef;
  /** The plugin's variable query: the SQL text (the legacy string form every 4.x version accepts). */
  query: string;
  /** 2 = on time range change. */
  refresh: 0 | 1 | 2;
  multi: boolean;
  includeAll: boolean;
  current: VariableOption;
  options: VariableOption[];
  /** 1 = alphabetical ascending. */
  sort: number;
  hide: 0 | 1 | 2;
  skipUrlSync: boolean;
  regex?: string;
}

export interface AnnotationQuery {
  name: string;
  datasource: DataSourceRef;
  enable: boolean;
  hide?: boolean;
  iconColor: string;
  type?: string;
  builtIn?: number;
}

export interface DashboardLink {
  title: string;
  type: 'link' | 'dashboards';
  icon: string;
  tooltip: string;
  url?: string;
  tags: string[];
  asDropdown: boolean;
  targetBlank: boolean;
  includeVars: boolean;
  keepTime: boolean;
}

export interface Dashboard {
  uid: string;
  title: string;
  description?: string;
  tags: string[];
  timezone: string;
  editable: boolean;
  graphTooltip: 0 | 1 | 2;
  time: { from: string; to: string };
  refresh: string;
  schemaVersion: number;
  version: number;
  fiscalYearStartMonth: number;
  liveNow: boolean;
  weekStart: string;
  links: DashboardLink[];
  annotations: { list: AnnotationQuery[] };
  templating: { list: QueryVariable[] };
  panels: (Panel | RowPanel)[];
}

/** Grafana's built-in "Annotations & Alerts" annotation, present on every dashboard. */
export const BUILT_IN_ANNOTATION: AnnotationQuery = {
  builtIn: 1,
  datasource: { type: 'grafana', uid: '-- Grafana --' },
  enable: true,
  hide: true,
  iconColor: 'rgba(0, 211, 255, 1)',
  name: 'Annotations & Alerts',
  type: 'dashboard',
};
