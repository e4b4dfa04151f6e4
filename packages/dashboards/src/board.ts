/**
 * Boards are described once, language-neutrally (every string a `Text`), and rendered per language
 * with Grafana's foundation SDK builders. Each query also carries what a test expects of it: its
 * columns in order and whether the simulated store must give it data.
 */
import {
  AnnotationPanelFilterBuilder,
  AnnotationQueryBuilder,
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkType,
  QueryVariableBuilder,
  RowBuilder,
  VariableHide,
  VariableRefresh,
  VariableSort,
  type DashboardLink,
} from '@grafana/grafana-foundation-sdk/dashboard';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import { BUILT_IN_ANNOTATION, DATASOURCE, clickHouseQuery, type Dashboard, type PanelBuilder } from './grafana.ts';
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
  title: Text;
  description?: Text;
  w: number;
  h: number;
  queries: readonly QuerySpec[];
  /**
   * The visualization: an SDK panel builder (stat, timeseries, table, barchart, …) with its options
   * and field config; the board adds id, title, description, position, data source and queries.
   */
  visual: (lang: Lang) => PanelBuilder;
  /** Minimum interval, e.g. '1m' for panels on cs.metrics. */
  interval?: string;
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

/** A region annotation from SQL returning `time`, `timeEnd`, `text`, shown on the panels showing `metrics`. */
export interface AnnotationSpec {
  name: Text;
  sql: Text;
  /** The annotation is drawn on the panels of the board that show one of these metrics. */
  metrics: readonly string[];
  color: string;
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
  annotations?: readonly AnnotationSpec[];
}

export const uidOf = (board: Pick<BoardSpec, 'key'>, lang: Lang) => `cs-${board.key}-${lang}`;
export const pathOf = (board: BoardSpec, lang: Lang) => `${lang}/${board.file}.json`;
export const sqlOf = (q: QuerySpec, lang: Lang) => (typeof q.sql === 'string' ? q.sql : q.sql[lang]);

const GRID_COLUMNS = 24;
/** Panel ids follow the order of the board's items, rows included (the same in every language). */
const panelId = (itemIndex: number) => itemIndex + 1;

function variable(v: VariableSpec, lang: Lang) {
  return new QueryVariableBuilder(v.name)
    .label(v.label[lang])
    .description(v.description[lang])
    .datasource({ ...DATASOURCE })
    .query(v.sql)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .multi(true)
    .includeAll(true)
    .current({ selected: true, text: ['All'], value: ['$__all'] })
    .options([])
    .sort(VariableSort.AlphabeticalAsc)
    .hide(VariableHide.DontHide);
}

const LANG_LABEL: Record<Lang, string> = { en: 'English', zh: '简体中文' };

function links(board: BoardSpec, lang: Lang): cog.Builder<DashboardLink>[] {
  // Plain typed links rather than DashboardLinkBuilder, whose default placement would move them into
  // the controls menu.
  const link = (l: Pick<DashboardLink, 'title' | 'type' | 'tags' | 'asDropdown'> & { url?: string }): cog.Builder<DashboardLink> => ({
    build: () => ({ icon: 'external link', tooltip: '', targetBlank: false, includeVars: true, keepTime: true, ...l }),
  });
  return [
    link({ title: lang === 'zh' ? '客服分析看板' : 'Contact-centre boards', type: DashboardLinkType.Dashboards, tags: ['cs-analytics', lang], asDropdown: true }),
    ...LANGS.filter((l) => l !== lang).map((l) => link({ title: LANG_LABEL[l], type: DashboardLinkType.Link, url: `/d/${uidOf(board, l)}`, tags: [], asDropdown: false })),
  ];
}

function annotation(board: BoardSpec, a: AnnotationSpec, lang: Lang) {
  const panels = board.items.flatMap((item, index) => (item.kind === 'panel' && item.metrics?.some((m) => a.metrics.includes(m)) ? [panelId(index)] : []));
  return new AnnotationQueryBuilder()
    .name(a.name[lang])
    .datasource({ ...DATASOURCE })
    .enable(true)
    .hide(false)
    .iconColor(a.color)
    .target(clickHouseQuery({ refId: 'Anno', format: 'table', rawSql: a.sql[lang] }))
    .filter(new AnnotationPanelFilterBuilder().exclude(false).ids(panels));
}

/**
 * Lays panels out left to right in 24 columns; a row header, or a panel that does not fit, starts a
 * new line. Positions are set here rather than left to the SDK's DashboardBuilder, whose automatic
 * layout places a panel that does not fit past the 24th column instead of on the next line.
 */
export function renderBoard(board: BoardSpec, lang: Lang): Dashboard {
  const dashboard = new DashboardBuilder(board.title[lang])
    .uid(uidOf(board, lang))
    .description(board.description[lang])
    .tags(['cs-analytics', lang, ...board.tags])
    .timezone('browser')
    .readonly()
    .tooltip(DashboardCursorSync.Crosshair)
    .time({ ...board.time })
    .refresh(board.refresh)
    .version(1)
    .fiscalYearStartMonth(0)
    .liveNow(false)
    .weekStart('')
    .links(links(board, lang))
    .annotation({ build: () => ({ ...BUILT_IN_ANNOTATION, datasource: { ...BUILT_IN_ANNOTATION.datasource } }) })
    .variables(board.variables.map((v) => variable(v, lang)));
  for (const a of board.annotations ?? []) dashboard.annotation(annotation(board, a, lang));
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
      dashboard.withRow(new RowBuilder(item.title[lang]).id(panelId(index)).collapsed(false).gridPos({ h: 1, w: GRID_COLUMNS, x: 0, y }));
      y += 1;
      continue;
    }
    if (item.w < 1 || item.w > GRID_COLUMNS) throw new Error(`panel "${item.title.en}": width ${item.w}`);
    if (x + item.w > GRID_COLUMNS) newLine();
    const panel = item
      .visual(lang)
      .id(panelId(index))
      .title(item.title[lang])
      .gridPos({ h: item.h, w: item.w, x, y })
      .datasource({ ...DATASOURCE });
    if (item.description) panel.description(item.description[lang]);
    for (const q of item.queries) panel.withTarget(clickHouseQuery({ refId: q.refId, format: q.format, rawSql: sqlOf(q, lang) }));
    if (item.interval) panel.interval(item.interval);
    dashboard.withPanel(panel);
    x += item.w;
    lineHeight = Math.max(lineHeight, item.h);
  }
  // Plain JSON: the SDK's query objects carry a marker method that is not part of the model.
  return JSON.parse(JSON.stringify(dashboard.build())) as Dashboard;
}

/** A query of a rendered panel with what the tests expect of it. */
export interface PanelQueryCheck {
  board: string;
  uid: string;
  lang: Lang;
  panelId: number;
  panelTitle: string;
  panelType: string;
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

/** The id of the board's panel titled `title` in English (en and zh share ids). */
export function panelOfTitle(board: BoardSpec, title: string): number | undefined {
  const index = board.items.findIndex((item) => item.kind === 'panel' && item.title.en === title);
  return index < 0 ? undefined : panelId(index);
}

/** The panel (en and zh share ids) showing a metric's headline figure, for alert rule links. */
export function panelOfMetric(board: BoardSpec, metricId: MetricId): number | undefined {
  const index = board.items.findIndex((item) => item.kind === 'panel' && item.metrics?.length === 1 && item.metrics[0] === metricId && item.visual('en').build().type === 'stat');
  return index < 0 ? undefined : panelId(index);
}
