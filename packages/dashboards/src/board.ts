/**
 * Boards are described once, language-neutrally (every string a `Text`), and rendered to Grafana
 * JSON per language. Each query also carries what a test expects of it: its columns in order and
 * whether the simulated store must give it data.
 */
import {
  BUILT_IN_ANNOTATION,
  DATASOURCE,
  SCHEMA_VERSION,
  type ClickHouseTarget,
  type Dashboard,
  type DashboardLink,
  type FieldConfigSource,
  type Panel,
  type PanelType,
  type QueryVariable,
  type RowPanel,
} from './grafana.ts';
import { LANGS, type Lang, type Text } from './text.ts';
import type { MetricId } from '@cs/catalog';

export interface QuerySpec {
  refId: string;
  /** Language-neutral SQL, or per language (translated labels in the result). */
  sql: string | Text;
  format: 'timeSeries' | 'table';
  /** Result columns, in order. */
  columns: readonly string[];
  /** The simulated store must return at least one row… */
  requiresData: boolean;
  /** …and, in some row, a non-NULL value in each of these columns. */
  nonNull?: readonly string[];
}

export interface PanelSpec {
  kind: 'panel';
  type: PanelType;
  title: Text;
  description?: Text;
  w: number;
  h: number;
  queries: readonly QuerySpec[];
  fieldConfig: (lang: Lang) => FieldConfigSource;
  options: (lang: Lang) => Record<string, unknown>;
  /** Minimum interval, e.g. '1m' for panels on cs.metrics. */
  interval?: string;
  transformations?: (lang: Lang) => { id: string; options: Record<string, unknown> }[];
  /** Catalog metrics this panel shows (alert rules link to the panel of their metric). */
  metrics?: readonly MetricId[];
}

export interface RowSpec {
  kind: 'row';
  title: Text;
}

export interface VariableSpec {
  name: string;
  label: Text;
  description: Text;
  sql: string;
}

export interface BoardSpec {
  /** uid = `cs-<key>-<lang>`; file = `<lang>/<file>.json`. */
  key: string;
  file: string;
  title: Text;
  description: Text;
  tags: readonly string[];
  time: { from: string; to: string };
  refresh: string;
  variables: readonly VariableSpec[];
  items: readonly (PanelSpec | RowSpec)[];
}

export const uidOf = (board: Pick<BoardSpec, 'key'>, lang: Lang) => `cs-${board.key}-${lang}`;
export const pathOf = (board: BoardSpec, lang: Lang) => `${lang}/${board.file}.json`;
export const sqlOf = (q: QuerySpec, lang: Lang) => (typeof q.sql === 'string' ? q.sql : q.sql[lang]);

const GRID_COLUMNS = 24;
/** Panel ids follow the order of the board's items, rows included (the same in every language). */
const panelId = (itemIndex: number) => itemIndex + 1;

function target(q: QuerySpec, lang: Lang): ClickHouseTarget {
  return {
    refId: q.refId,
    datasource: { ...DATASOURCE },
    editorType: 'sql',
    format: q.format === 'timeSeries' ? 0 : 1,
    queryType: q.format,
    rawSql: sqlOf(q, lang),
  };
}

function variable(v: VariableSpec, lang: Lang): QueryVariable {
  return {
    type: 'query',
    name: v.name,
    label: v.label[lang],
    description: v.description[lang],
    datasource: { ...DATASOURCE },
    query: v.sql,
    refresh: 2,
    multi: true,
    includeAll: true,
    current: { selected: true, text: ['All'], value: ['$__all'] },
    options: [],
    sort: 1,
    hide: 0,
    skipUrlSync: false,
  };
}

const LANG_LABEL: Record<Lang, string> = { en: 'English', zh: '简体中文' };

function links(board: BoardSpec, lang: Lang): DashboardLink[] {
  const other = LANGS.filter((l) => l !== lang);
  return [
    {
      title: lang === 'zh' ? '客服分析看板' : 'Contact-centre boards',
      type: 'dashboards',
      icon: 'external link',
      tooltip: '',
      tags: ['cs-analytics', lang],
      asDropdown: true,
      targetBlank: false,
      includeVars: true,
      keepTime: true,
    },
    ...other.map(
      (l): DashboardLink => ({
        title: LANG_LABEL[l],
        type: 'link',
        icon: 'external link',
        tooltip: '',
        url: `/d/${uidOf(board, l)}`,
        tags: [],
        asDropdown: false,
        targetBlank: false,
        includeVars: true,
        keepTime: true,
      }),
    ),
  ];
}

/** Lays panels out left to right in 24 columns; a row header starts a new line. */
export function renderBoard(board: BoardSpec, lang: Lang): Dashboard {
  const panels: (Panel | RowPanel)[] = [];
  let x = 0;
  let y = 0;
  let lineHeight = 0;
  const newLine = () => {
    y += lineHeight;
    x = 0;
    lineHeight = 0;
  };
  for (const [index, item] of board.items.entries()) {
    if (item.kind === 'row') {
      if (x > 0) newLine();
      panels.push({ type: 'row', id: panelId(index), title: item.title[lang], collapsed: false, gridPos: { h: 1, w: GRID_COLUMNS, x: 0, y }, panels: [] });
      y += 1;
      continue;
    }
    if (item.w < 1 || item.w > GRID_COLUMNS) throw new Error(`panel "${item.title.en}": width ${item.w}`);
    if (x + item.w > GRID_COLUMNS) newLine();
    const panel: Panel = {
      type: item.type,
      id: panelId(index),
      title: item.title[lang],
      ...(item.description ? { description: item.description[lang] } : {}),
      gridPos: { h: item.h, w: item.w, x, y },
      datasource: { ...DATASOURCE },
      targets: item.queries.map((q) => target(q, lang)),
      fieldConfig: item.fieldConfig(lang),
      options: item.options(lang),
      ...(item.interval ? { interval: item.interval } : {}),
      ...(item.transformations ? { transformations: item.transformations(lang) } : {}),
    };
    panels.push(panel);
    x += item.w;
    lineHeight = Math.max(lineHeight, item.h);
  }
  return {
    uid: uidOf(board, lang),
    title: board.title[lang],
    description: board.description[lang],
    tags: ['cs-analytics', lang, ...board.tags],
    timezone: 'browser',
    editable: false,
    graphTooltip: 1,
    time: { ...board.time },
    refresh: board.refresh,
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    fiscalYearStartMonth: 0,
    liveNow: false,
    weekStart: '',
    links: links(board, lang),
    annotations: { list: [{ ...BUILT_IN_ANNOTATION, datasource: { ...BUILT_IN_ANNOTATION.datasource } }] },
    templating: { list: board.variables.map((v) => variable(v, lang)) },
    panels,
  };
}

/** A query of a rendered panel with what the tests expect of it. */
export interface PanelQueryCheck {
  board: string;
  uid: string;
  lang: Lang;
  panelId: number;
  panelTitle: string;
  panelType: PanelType;
  query: QuerySpec;
  sql: string;
}

/** The rendered panels' queries, in board order, with their expectations. */
export function queryChecks(board: BoardSpec, lang: Lang): PanelQueryCheck[] {
  const dashboard = renderBoard(board, lang);
  const specs = board.items;
  const out: PanelQueryCheck[] = [];
  dashboard.panels.forEach((p, i) => {
    const spec = specs[i]!;
    if (p.type === 'row' || spec.kind !== 'panel') return;
    for (const q of spec.queries) out.push({ board: board.key, uid: dashboard.uid, lang, panelId: p.id, panelTitle: p.title, panelType: p.type, query: q, sql: sqlOf(q, lang) });
  });
  return out;
}

/** The panel (en and zh share ids) showing a metric's headline figure, for alert rule links. */
/** The id of the board's panel titled `title` in English. */
export function panelOfTitle(board: BoardSpec, title: string): number | undefined {
  const index = board.items.findIndex((item) => item.kind === 'panel' && item.title.en === title);
  return index < 0 ? undefined : panelId(index);
}

export function panelOfMetric(board: BoardSpec, metricId: MetricId): number | undefined {
  const index = board.items.findIndex((item) => item.kind === 'panel' && item.type === 'stat' && item.metrics?.length === 1 && item.metrics[0] === metricId);
  return index < 0 ? undefined : panelId(index);
}
