/**
 * What the boards take from Grafana's foundation SDK (@grafana/grafana-foundation-sdk, Apache-2.0):
 * the dashboard model and its typed builders are the SDK's; this file adds the provisioned data
 * source, the ClickHouse plugin's query model, and small shorthands for thresholds and colours.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import {
  FieldColorBuilder,
  FieldColorModeId,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  type AnnotationQuery,
  type Dashboard as SdkDashboard,
  type DynamicConfigValue,
  type FieldConfigSource,
  type GridPos,
  type Panel,
  type RowPanel,
  type Threshold,
  type VariableModel,
} from '@grafana/grafana-foundation-sdk/dashboard';

/** The provisioned ClickHouse data source (deploy/grafana/provisioning/datasources/clickhouse.yaml). */
export const DATASOURCE = { type: 'grafana-clickhouse-datasource', uid: 'cs-clickhouse' } as const;

/**
 * A query of the ClickHouse data source plugin (grafana-clickhouse-datasource 4.x, SQL editor mode).
 * The SDK types the queries of the data sources it ships (Prometheus, Loki, …) but not this plugin's,
 * so its model is declared here, with only the fields the generator sets.
 */
export interface ClickHouseQuery extends cog.Dataquery {
  refId: string;
  datasource: { type: typeof DATASOURCE.type; uid: typeof DATASOURCE.uid };
  editorType: 'sql';
  /** sqlds format: 0 = time series (long frames become wide), 1 = table. */
  format: 0 | 1;
  queryType: 'timeSeries' | 'table';
  rawSql: string;
  /** Alert rule queries only: the $__interval the rule evaluates with, and the point budget. */
  intervalMs?: number;
  maxDataPoints?: number;
}

export type ClickHouseQueryOptions = Pick<ClickHouseQuery, 'refId' | 'rawSql' | 'intervalMs' | 'maxDataPoints'> & { format: 'timeSeries' | 'table' };

export function clickHouseQuery(q: ClickHouseQueryOptions): cog.Builder<ClickHouseQuery> {
  const query: ClickHouseQuery = {
    refId: q.refId,
    datasource: { ...DATASOURCE },
    editorType: 'sql',
    format: q.format === 'timeSeries' ? 0 : 1,
    queryType: q.format,
    rawSql: q.rawSql,
    ...(q.intervalMs !== undefined ? { intervalMs: q.intervalMs } : {}),
    ...(q.maxDataPoints !== undefined ? { maxDataPoints: q.maxDataPoints } : {}),
    _implementsDataqueryVariant: () => {},
  };
  return { build: () => query };
}

/** A panel as the boards render it: the SDK's panel model with what every rendered panel has. */
export type RenderedPanel = Omit<Panel, 'targets'> & Required<Pick<Panel, 'id' | 'title' | 'gridPos' | 'datasource' | 'fieldConfig' | 'options'>> & { targets: ClickHouseQuery[] };
export type RenderedRow = RowPanel & { title: string; gridPos: GridPos };

/** A dashboard as the boards render it: the SDK's dashboard model with what every rendered board has. */
export type Dashboard = Omit<SdkDashboard, 'uid' | 'title' | 'panels' | 'templating' | 'annotations'> & {
  uid: string;
  title: string;
  panels: (RenderedPanel | RenderedRow)[];
  templating: { list: VariableModel[] };
  annotations: { list: AnnotationQuery[] };
};

/** What every SDK visualization builder (stat, timeseries, table, barchart, …) offers; the board sets these. */
export interface PanelBuilder extends cog.Builder<Panel> {
  id(id: number): this;
  title(title: string): this;
  description(description: string): this;
  gridPos(gridPos: GridPos): this;
  datasource(datasource: { type?: string; uid?: string }): this;
  withTarget(target: cog.Builder<cog.Dataquery>): this;
  interval(interval: string): this;
}

/** Steps from a -Infinity base (`null`), as Grafana's thresholds are written. */
export const thresholdSteps = (steps: Threshold[]) => new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps);

export const fixedColor = (color: string) => new FieldColorBuilder().mode(FieldColorModeId.Fixed).fixedColor(color);
export const colorMode = (mode: FieldColorModeId) => new FieldColorBuilder().mode(mode);
/** Series colours from Grafana's classic palette. */
export const palette = () => colorMode(FieldColorModeId.PaletteClassic);
/** Colours by the field's thresholds. */
export const byThresholds = () => colorMode(FieldColorModeId.Thresholds);

/** A field override of the column `name`. */
export type FieldOverride = FieldConfigSource['overrides'][number];
export const field = (name: string, properties: DynamicConfigValue[]): FieldOverride => ({ matcher: { id: 'byName', options: name }, properties });

/** Grafana's built-in "Annotations & Alerts" annotation, present on every dashboard. */
export const BUILT_IN_ANNOTATION = {
  builtIn: 1,
  datasource: { type: 'grafana', uid: '-- Grafana --' },
  enable: true,
  hide: true,
  iconColor: 'rgba(0, 211, 255, 1)',
  name: 'Annotations & Alerts',
  type: 'dashboard',
} as const;
