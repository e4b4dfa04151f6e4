/**
 * The Grafana dashboards and alert rules generated from the metric catalog, checked without a
 * Grafana server:
 *  (a) every dashboard is built with Grafana's typed foundation SDK and passes the checks of
 *      Grafana's invariants the types cannot express (packages/dashboards/src/validate.ts), both
 *      languages have the same boards, panels and queries, and the Chinese ones are translated;
 *  (b) every panel and variable query, expanded exactly as the ClickHouse plugin expands its
 *      macros and the template variables, runs on a store loaded with a simulated week through the
 *      real broker and processor, returns its declared columns and, where data must exist, data;
 *      and the figures agree across grains and with the tables they summarise;
 *  (c) the committed files are what the generator produces now.
 * Set DASHBOARDS_SAMPLE=1 to print a few rows of some panels.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Dashboard as SdkDashboard, Panel as SdkPanel } from '@grafana/grafana-foundation-sdk/dashboard';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { METRICS, ZH_METRIC_TEXT, targets } from '@cs/catalog';
import { Forecaster, loadForecasterConfig } from '@cs/forecaster';
import {
  ALERT_RULES_PATH,
  BAND_ALERT_GROUP,
  BAND_ALERT_WINDOW,
  CONTACT_POINT,
  DATASOURCE,
  NOTIFICATIONS_PATH,
  PIPELINE_RULES_PATH,
  LANGS,
  alertPlan,
  alertSql,
  applyConditionalAll,
  boards,
  dashboardQueryChecks,
  expandQuery,
  generateAlertRules,
  generateDashboards,
  generatedFiles,
  interpolateMacros,
  notifications,
  pipelineRules,
  queryChecks,
  replaceVariables,
  sqlProblems,
  validateDashboard,
  type ClickHouseQuery,
  type Dashboard,
  type ProvisionedRule,
  type RenderedPanel,
  type PanelQueryCheck,
  type QueryContext,
  type VariableValue,
} from '@cs/dashboards';
import { EXEC_CORE, EXEC_HEADLINE } from '../../packages/dashboards/src/boards/executive.ts';
import { loadSimulatedDays, type LoadedStore } from '../support/loaded-store.ts';
import { logger, queryTable, removeTestStore } from '../support/pipeline.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const DAY = 86_400_000;
const SAMPLE = process.env.DASHBOARDS_SAMPLE === '1';

const dashboards = generateDashboards();
const BOARD_UIDS = ['exec', 'selfservice', 'human', 'quality', 'outreach', 'workforce', 'planning', 'pipeline'];

/** A dashboard's panels other than rows. */
const panelsOf = (d: Dashboard) => d.panels.filter((p): p is RenderedPanel => p.type !== 'row');

describe('(a) the dashboards, against the dashboard model', () => {
  it('are the eight boards, each in English and Chinese, with fixed uids', () => {
    const uids = Object.values(dashboards).map((d) => d.uid).sort();
    expect(uids).toEqual(BOARD_UIDS.flatMap((b) => LANGS.map((l) => `cs-${b}-${l}`)).sort());
    for (const [path, d] of Object.entries(dashboards)) expect(path.startsWith(`${d.uid.endsWith('-zh') ? 'zh' : 'en'}/`), path).toBe(true);
  });

  it.each(Object.keys(dashboards))('%s passes the checks of Grafana\'s invariants', (path) => {
    expect(validateDashboard(dashboards[path]!)).toEqual([]);
  });

  it('the SDK types and the invariant checks catch what Grafana would refuse or misread', () => {
    const base = dashboards['en/human-service.json']!;
    const broken = (edit: (d: Record<string, any>) => void) => {
      const d = structuredClone(base) as unknown as Record<string, any>;
      edit(d);
      return validateDashboard(d as SdkDashboard).join('\n');
    };
    // The structure is the SDK's dashboard model: these do not compile (tsc -p test checks them).
    // @ts-expect-error a misspelt panel property
    const misspelt: SdkPanel = { type: 'stat', colour: 'red' };
    // @ts-expect-error schemaVersion is required
    const unversioned: SdkDashboard = { templating: {}, annotations: {} };
    expect([misspelt, unversioned]).toHaveLength(2);
    expect(broken((d) => (d.panels[1].gridPos.w = 25))).toMatch(/gridPos\.w: 25 > 24/);
    expect(broken((d) => (d.panels[1].gridPos.x = 20))).toMatch(/x \+ w = 24|x \+ w = \d+ > 24|overlaps/);
    expect(broken((d) => (d.panels[2].id = d.panels[1].id))).toMatch(/duplicate id/);
    expect(broken((d) => (d.panels[1].datasource.uid = 'other'))).toMatch(/data source is not cs-clickhouse/);
    expect(broken((d) => d.panels[1].targets.push({ ...d.panels[1].targets[0] }))).toMatch(/duplicate refId A/);
    expect(broken((d) => (d.panels[1].fieldConfig.defaults.thresholds.steps = [{ value: 1, color: 'red' }]))).toMatch(/null \(-Infinity\) base step/);
    expect(broken((d) => (d.panels[1].targets[0].rawSql += ' AND $region = 1'))).toMatch(/unknown variable \$region/);
    expect(broken((d) => (d.panels[1].targets[0].rawSql += ' AND $__timeFrom(bucket)'))).toMatch(/unknown macro/);
    expect(sqlProblems("SELECT toStartOfDay($__toTime, timeZoneOf(bucket))", [])).toEqual([expect.stringMatching(/\$__toTime is followed by "\("/)]);
    expect(sqlProblems("SELECT toStartOfDay(($__toTime), timeZoneOf(bucket))", [])).toEqual([]);
  });

  it('every panel and variable uses the provisioned ClickHouse data source', () => {
    const provisioning = readFileSync(join(ROOT, 'deploy/grafana/provisioning/datasources/clickhouse.yaml'), 'utf8');
    expect(provisioning).toContain(`uid: ${DATASOURCE.uid}`);
    expect(provisioning).toContain(`type: ${DATASOURCE.type}`);
    for (const d of Object.values(dashboards)) {
      for (const p of panelsOf(d)) for (const t of p.targets ?? []) expect(t.datasource).toEqual(DATASOURCE);
      for (const v of d.templating.list) expect(v.datasource).toEqual(DATASOURCE);
    }
  });

  it('English and Chinese boards have the same layout and queries, and the Chinese ones are translated', () => {
    const cjk = /[\u4e00-\u9fff]/;
    for (const board of boards()) {
      const en = dashboards[`en/${board.file}.json`]!;
      const zh = dashboards[`zh/${board.file}.json`]!;
      expect(zh.panels.map((p) => [p.id, p.type, p.gridPos])).toEqual(en.panels.map((p) => [p.id, p.type, p.gridPos]));
      expect(cjk.test(zh.title) && !cjk.test(en.title), zh.title).toBe(true);
      expect(zh.templating.list.map((v) => v.query)).toEqual(en.templating.list.map((v) => v.query));
      for (const [i, p] of zh.panels.entries()) {
        const e = en.panels[i]!;
        expect(cjk.test(p.title), `${zh.uid} panel ${p.id} "${p.title}"`).toBe(true);
        expect(p.title).not.toBe(e.title);
        if (p.type === 'row' || e.type === 'row') continue;
        const [zp, ep] = [p as RenderedPanel, e as RenderedPanel];
        if (zp.description) expect(cjk.test(zp.description), `${zh.uid} panel ${p.id} description`).toBe(true);
        // Same SQL, except translated labels in a few result values (site types).
        expect(zp.targets.map((t) => t.rawSql.replace(/'[^']*'/g, "''"))).toEqual(ep.targets.map((t) => t.rawSql.replace(/'[^']*'/g, "''")));
      }
      for (const v of zh.templating.list) expect(cjk.test(v.label!), v.label).toBe(true);
    }
  });

  it('metric names come from the catalog (name.en, name.zh), and every metric has its Chinese definition', () => {
    for (const m of METRICS) expect(ZH_METRIC_TEXT[m.id], m.id).toBeDefined();
    const exec = { en: dashboards['en/executive-overview.json']!, zh: dashboards['zh/executive-overview.json']! };
    for (const lang of LANGS) {
      const titles = panelsOf(exec[lang]).filter((p) => p.type === 'stat').map((p) => p.title);
      for (const id of EXEC_HEADLINE) expect(titles).toContain(METRICS.find((m) => m.id === id)!.name[lang]);
    }
  });

  it('thresholds are the catalog targets, in the metric direction', () => {
    const t = targets({});
    let checked = 0;
    for (const d of Object.values(dashboards)) {
      for (const p of panelsOf(d)) {
        if (p.type !== 'stat' || p.targets?.length !== 1) continue;
        const m = METRICS.find((x) => p.targets![0]!.rawSql.includes(` AS ${x.id}\n`));
        if (!m || t[m.id] === undefined) continue;
        const steps = p.fieldConfig.defaults.thresholds!.steps;
        const good = m.direction === 'higher_is_better' ? ['red', 'green'] : ['green', 'red'];
        expect(steps, `${d.uid} ${p.title}`).toEqual([
          { value: null, color: good[0] },
          { value: t[m.id], color: good[1] },
        ]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(12);
  });

  it('field overrides name columns the queries return', () => {
    for (const c of dashboardQueryChecks()) {
      const d = Object.values(dashboards).find((x) => x.uid === c.uid)!;
      const p = panelsOf(d).find((x) => x.id === c.panelId)!;
      for (const o of p.fieldConfig.overrides) if (o.matcher.id === 'byName') expect(c.query.columns, `${c.uid} ${c.panelTitle}`).toContain(o.matcher.options);
    }
  });

  it('ratios are Σ numerator / Σ denominator, never an aggregate of value', () => {
    for (const c of dashboardQueryChecks()) expect(c.sql, `${c.uid} ${c.panelTitle}`).not.toMatch(/\(\s*value\s*\)/);
  });
});

describe('(a) the alerting provisioning', () => {
  const rules = generateAlertRules();
  const t = targets({});
  const queryOf = (r: ProvisionedRule) => r.data.find((q) => q.refId === 'A')!.model as ClickHouseQuery;
  const conditionOf = (r: ProvisionedRule) => r.data.find((q) => q.refId === 'C')!.model as { expression: string; type: string; conditions: { evaluator: { type: string; params: number[] } }[] };

  it('the provisioning files are YAML that means the generated rules, policy and contact point', () => {
    const read = (path: string) => parseYaml(readFileSync(join(ROOT, path), 'utf8'));
    expect(read(ALERT_RULES_PATH)).toEqual(JSON.parse(JSON.stringify(rules)));
    expect(read(PIPELINE_RULES_PATH)).toEqual(JSON.parse(JSON.stringify(pipelineRules('cs'))));
    expect(read(NOTIFICATIONS_PATH)).toEqual(JSON.parse(JSON.stringify(notifications())));
  });

  it('one rule per metric with a target, firing on the wrong side of it, on its window, linked to its panel', () => {
    const rs = rules.groups[0]!.rules;
    expect(rs.map((r) => r.labels.metric).sort()).toEqual(Object.keys(t).sort());
    expect(new Set(rs.map((r) => r.uid)).size).toBe(rs.length);
    for (const r of rs) {
      const m = METRICS.find((x) => x.id === r.labels.metric)!;
      const plan = alertPlan(m);
      expect(r.uid.length).toBeLessThanOrEqual(40);
      expect(r.condition).toBe('C');
      const a = r.data.find((q) => q.refId === 'A')!;
      expect(a.datasourceUid).toBe(DATASOURCE.uid);
      expect(a.relativeTimeRange).toEqual(plan.window);
      expect(queryOf(r).rawSql).toBe(alertSql('cs', m));
      const c = conditionOf(r);
      expect(c.expression).toBe('A');
      expect(c.conditions[0]!.evaluator).toEqual({ type: m.direction === 'higher_is_better' ? 'lt' : 'gt', params: [t[m.id]] });
      expect(r.for).toBe(plan.for);
      expect(r.noDataState).toBe('OK');
      const board = Object.values(dashboards).find((d) => d.uid === r.dashboardUid)!;
      const panel = panelsOf(board).find((p) => p.id === r.panelId)!;
      expect(panel.targets[0]!.rawSql, `${r.uid} → ${r.dashboardUid}/${r.panelId}`).toContain(`AS ${m.id}\n`);
    }
    // Live figures of the last minutes, except what a window decides: FCR reads its settled hours.
    expect(alertPlan(METRICS.find((m) => m.id === 'human_answer_rate')!)).toMatchObject({ grain: 'minute', settledOnly: false, window: { from: 1020, to: 120 } });
    expect(alertPlan(METRICS.find((m) => m.id === 'self_service_share')!)).toMatchObject({ grain: 'minute', settledOnly: false, window: { from: 900, to: 0 } });
    expect(queryOf(rs.find((r) => r.labels.metric === 'fcr_rate')!).rawSql).toMatch(/grain = 'hour'\n {2}AND metric = 'fcr_rate'\n {2}AND final\n/);
    // The daily forecast accuracy: the latest day the forecaster scored, 1 day ahead.
    expect(alertPlan(METRICS.find((m) => m.id === 'forecast_accuracy_daily')!)).toMatchObject({ grain: 'day', window: { from: 3 * 86400, to: 0 } });
    expect(queryOf(rs.find((r) => r.labels.metric === 'forecast_accuracy_daily')!).rawSql).toContain("product = 'h1d'");
    expect(rs.find((r) => r.labels.metric === 'human_answer_rate')).toBeDefined();
  });

  it('the forecast band rule: its own group, on the complete half hours before now, linked to the planning board', () => {
    const group = rules.groups.find((g) => g.name === BAND_ALERT_GROUP)!;
    expect(group.rules.map((r) => r.uid)).toEqual(['cs-forecast-band']);
    const r = group.rules[0]!;
    expect(r.data[0]!.relativeTimeRange).toEqual(BAND_ALERT_WINDOW);
    expect(conditionOf(r).conditions[0]).toEqual({ evaluator: { type: 'gt', params: [0] } });
    const board = dashboards['en/forecast-and-planning.json']!;
    expect(panelsOf(board).find((p) => p.id === r.panelId)!.title).toBe('Outside the band in the last hour');
    expect(r.dashboardUid).toBe('cs-planning-en');
  });

  it('a target given later (CS_TARGET_COMPLAINTS_PER_10K) gets its rule: complaints per 10k above target', () => {
    const withComplaints = generateAlertRules({ targets: targets({ CS_TARGET_COMPLAINTS_PER_10K: '12' }) });
    const r = withComplaints.groups[0]!.rules.find((x) => x.labels.metric === 'complaints_per_10k')!;
    expect(r.title).toBe('Complaints per 10k contacts above target');
    expect(r.for).toBe('5m');
    expect(conditionOf(r).conditions[0]).toEqual({ evaluator: { type: 'gt', params: [12] } });
    expect(queryOf(r).rawSql).toContain('* 10000 AS value');
  });

  it('pipeline-health rules: consumer lag, freshness, dead letters; no data alerts', () => {
    const rs = pipelineRules('cs').groups[0]!.rules;
    expect(rs.map((r) => r.uid)).toEqual(['cs-pipeline-consumer-lag', 'cs-pipeline-freshness', 'cs-pipeline-dead-letters']);
    for (const r of rs) {
      expect(r.noDataState).toBe('Alerting');
      expect(r.execErrState).toBe('Alerting');
      expect(r.labels.severity).toBe('critical');
      expect(conditionOf(r).type).toBe('threshold');
    }
  });

  it('alerts go to one contact point, critical ones sooner and more often', () => {
    const n = notifications();
    expect(n.contactPoints.map((c) => c.name)).toEqual([CONTACT_POINT]);
    expect(n.contactPoints[0]!.receivers[0]!.settings).toEqual({ url: '${CS_ALERT_WEBHOOK_URL}', httpMethod: 'POST' });
    expect(n.policies[0]!.receiver).toBe(CONTACT_POINT);
    expect(n.policies[0]!.routes![0]).toMatchObject({ receiver: CONTACT_POINT, object_matchers: [['severity', '=', 'critical']], repeat_interval: '1h' });
  });
});

describe('(c) the committed files', () => {
  it('are what the generator produces now', () => {
    const files = generatedFiles();
    expect(Object.keys(files).length).toBe(19);
    for (const [path, text] of Object.entries(files)) {
      const abs = join(ROOT, path);
      expect(existsSync(abs), `${path} is missing: run npm run dashboards`).toBe(true);
      expect(readFileSync(abs, 'utf8') === text, `${path} is out of date: run npm run dashboards`).toBe(true);
    }
    for (const lang of LANGS) {
      for (const f of readdirSync(join(ROOT, 'dashboards', lang))) expect(Object.keys(files), `dashboards/${lang}/${f} is not generated`).toContain(`dashboards/${lang}/${f}`);
    }
  });
});

describe('the plugin emulation', () => {
  const ctx: QueryContext = {
    from: Date.parse('2014-11-12T11:45:26.371Z'),
    to: Date.parse('2015-11-12T11:45:26.371Z'),
    intervalMs: 20_000,
    variables: { bu: { all: false, values: ['cards', "o'hara"] }, ch: { all: true, values: ['APP', 'WEB'] }, one: { all: false, values: ['x'] } },
  };

  it('expands the macros as the plugin does', () => {
    expect(interpolateMacros('WHERE $__timeFilter(col)', ctx)).toBe('WHERE col >= toDateTime(1415792726) AND col <= toDateTime(1447328726)');
    expect(interpolateMacros('SELECT ($__fromTime), ($__toTime), ($__interval_s)', ctx)).toBe('SELECT (toDateTime(1415792726)), (toDateTime(1447328726)), (20)');
    expect(interpolateMacros('SELECT $__timeInterval(col)', ctx)).toBe('SELECT toStartOfInterval(toDateTime(col), INTERVAL 20 second)');
    // The SDK's scanner takes the next "(" as the macro's arguments: why the generator writes ($__toTime).
    expect(interpolateMacros('toStartOfDay($__toTime, timeZoneOf(bucket))', ctx)).toBe('toStartOfDay(toDateTime(1447328726))');
  });

  it('expands $__conditionalAll and the variables as the plugin frontend and Grafana do', () => {
    const sql = "x AND $__conditionalAll(business_unit IN (${bu:singlequote}), $bu) AND $__conditionalAll(channel IN (${ch:singlequote}), $ch)";
    expect(applyConditionalAll(sql, ctx.variables)).toBe("x AND business_unit IN (${bu:singlequote}) AND 1=1");
    expect(replaceVariables(applyConditionalAll(sql, ctx.variables), ctx.variables)).toBe("x AND business_unit IN ('cards','o\\'hara') AND 1=1");
    expect(replaceVariables('$one ${one} $bu ${ch:singlequote}', ctx.variables)).toBe("x x 'cards','o'hara' 'APP','WEB'");
    expect(() => expandQuery('SELECT $nope', ctx)).toThrow(/unexpanded \$nope/);
  });
});

// ---- (b) the queries on a loaded store ----

interface Result {
  columns: { name: string; type: string }[];
  rows: unknown[][];
}

let store: LoadedStore;
/** Local midnights: [M0, M7] are seven whole days inside the loaded traffic. */
let M0 = 0;
let M7 = 0;

const run = (sql: string): Promise<Result> => queryTable(store.client, sql);

const all = (values: readonly string[]): VariableValue => ({ all: true, values });
const pick = (...values: string[]): VariableValue => ({ all: false, values });

/** Runs the board's variable queries in order (later ones depend on earlier ones); All selected. */
async function variableOptions(uid: string, range: { from: number; to: number }, chosen: Record<string, VariableValue> = {}): Promise<Record<string, VariableValue>> {
  const d = Object.values(dashboards).find((x) => x.uid === uid)!;
  const vars: Record<string, VariableValue> = {};
  for (const v of d.templating.list) {
    const r = await run(expandQuery(v.query as string, { ...range, intervalMs: 60_000, variables: vars }));
    expect(r.columns.length, `variable ${v.name}`).toBe(1);
    const options = r.rows.map((row) => String(row[0]));
    expect(options.length, `variable ${v.name} of ${uid} has options`).toBeGreaterThan(0);
    vars[v.name] = chosen[v.name] ?? all(options);
  }
  return vars;
}

function expectClose(actual: number | null, expected: number, what: string): void {
  expect(actual, what).not.toBeNull();
  expect(Math.abs(actual! - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
}

function nonNullIn(r: Result, column: string): boolean {
  const i = r.columns.findIndex((c) => c.name === column);
  return r.rows.some((row) => row[i] !== null && row[i] !== undefined);
}

async function runCheck(c: PanelQueryCheck, ctx: QueryContext): Promise<Result> {
  const sql = expandQuery(c.sql, ctx);
  try {
    return await run(sql);
  } catch (err) {
    throw new Error(`${c.uid} panel ${c.panelId} "${c.panelTitle}" ${c.query.refId} failed: ${(err as Error).message}\n${sql}`, { cause: err });
  }
}

const INTERVALS = [60_000, 600_000, 3_600_000, DAY];
const minInterval = (c: PanelQueryCheck): number => {
  const d = Object.values(dashboards).find((x) => x.uid === c.uid)!;
  const p = panelsOf(d).find((x) => x.id === c.panelId)!;
  const m = /^(\d+)([smh])$/.exec(p.interval ?? '1s')!;
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 's' | 'm' | 'h'];
};

function expectShape(c: PanelQueryCheck, r: Result, requireData: boolean): void {
  const where = `${c.uid} panel ${c.panelId} "${c.panelTitle}"`;
  expect(r.columns.map((x) => x.name), where).toEqual(c.query.columns);
  if (c.query.format === 'timeSeries') {
    expect(r.columns[0]!.type, `${where}: time column`).toMatch(/^DateTime/);
    const times = r.rows.map((row) => Date.parse(`${String(row[0]).replace(' ', 'T')}Z`));
    expect(times, `${where}: rows in time order (the plugin's long-to-wide conversion needs it)`).toEqual([...times].sort((a, b) => a - b));
  }
  if (!requireData || !c.query.requiresData) return;
  expect(r.rows.length, `${where}: no rows`).toBeGreaterThan(0);
  for (const col of c.query.nonNull ?? []) expect(nonNullIn(r, col), `${where}: ${col} is NULL in every row`).toBe(true);
}

describe('(b) every panel query on a simulated week through the real pipeline', () => {
  const checks = dashboardQueryChecks();
  const samples: { title: string; rows: Result }[] = [];
  let metricsRange: { from: number; to: number };
  let pipelineRange: { from: number; to: number };

  beforeAll(async () => {
    // Eight days of traffic: a whole week of local days plus "same day last week" for the comparisons.
    store = await loadSimulatedDays({ days: 8, contactsPerDay: 2000 });
    const tz = store.timeZone;
    const [mid] = (await run(`SELECT toUnixTimestamp(toStartOfDay(toDateTime(${store.to / 1000}, '${tz}'))) AS m7, toUnixTimestamp(toStartOfDay(toDateTime(${store.from / 1000}, '${tz}')) + INTERVAL 1 DAY) AS m0`)).rows;
    M7 = Number(mid![0]) * 1000;
    M0 = Number(mid![1]) * 1000;
    expect((M7 - M0) / DAY).toBe(7);
    // Dashboard range: the week of whole local days, ending one second before midnight.
    metricsRange = { from: M0, to: M7 - 1000 };
    // Refused events, for the dead-letter panels (the simulator sends valid traffic only).
    await store.client.command({
      query: `INSERT INTO ${store.tables.deadLetters} (topic, partition, offset, reason, detail, key, payload_base64, event_id, event_time, dead_lettered_at) VALUES
        ('cs.sessions', 0, 900001, 'invalid', 'score out of range', NULL, 'e30=', 'x1', NULL, now64(3)),
        ('cs.sessions', 0, 900002, 'late', 'older than stream time - 1h', NULL, 'e30=', 'x2', NULL, now64(3)),
        ('cs.calls', 1, 900003, 'orphan', 'call without OFFERED', NULL, 'e30=', 'x3', NULL, now64(3))`,
    });
    pipelineRange = { from: store.from, to: Date.now() + 60_000 };
    // Forecasts as the forecaster makes them (one run ten minutes into the last day, backfilling the week
    // before it), so the forecast panels have plans, re-forecasts, accuracy and staffing to show.
    const forecaster = new Forecaster({ client: store.client, db: store.db, config: loadForecasterConfig({ CS_TIMEZONE: tz, CS_FORECAST_BACKFILL_DAYS: '7', CS_FORECAST_SCHEDULE: 'false' }), logger });
    await forecaster.cycle(M7 - DAY + 10 * 60_000);
    // Loading a week through the pipeline takes about a minute alone, several on a busy machine.
  }, 420_000);

  afterAll(async () => {
    if (SAMPLE) for (const s of samples) console.log(`\n${s.title}\n${s.rows.columns.map((c) => c.name).join(' | ')}\n${s.rows.rows.slice(0, 4).map((r) => r.join(' | ')).join('\n')}`);
    await removeTestStore(store);
  });

  const rangeOf = (uid: string) => (uid.startsWith('cs-pipeline') ? pipelineRange : metricsRange);

  it('variable queries return options', async () => {
    for (const uid of new Set(checks.map((c) => c.uid))) await variableOptions(uid, rangeOf(uid));
  });

  it('with All selected: every query runs, returns its columns and, where data must exist, data (series at 1 min, 10 min, 1 h, 1 day intervals)', async () => {
    let n = 0;
    for (const uid of new Set(checks.map((c) => c.uid))) {
      const range = rangeOf(uid);
      const variables = await variableOptions(uid, range);
      for (const c of checks.filter((x) => x.uid === uid)) {
        const intervals = c.query.format === 'timeSeries' || /\$__interval_s|\$__timeInterval/.test(c.sql) ? INTERVALS : [600_000];
        for (const i of intervals) {
          const r = await runCheck(c, { ...range, intervalMs: Math.max(i, minInterval(c)), variables });
          expectShape(c, r, true);
          n++;
          const sampled = SAMPLE_PANELS.some((s) => c.panelTitle === s.title && c.uid === s.uid);
          if (SAMPLE && sampled && c.lang === 'en' && (i === 3_600_000 || intervals.length === 1)) samples.push({ title: `${c.uid} / ${c.panelTitle} (interval ${Math.max(i, minInterval(c)) / 1000} s)`, rows: r });
        }
      }
    }
    expect(n).toBeGreaterThan(300);
  });

  it('with one business unit, and with several values per variable: every query runs and returns its columns', async () => {
    for (const uid of new Set(checks.map((c) => c.uid))) {
      const range = rangeOf(uid);
      const options = await variableOptions(uid, range);
      const bu = options.business_unit?.values ?? [];
      const single = await variableOptions(uid, range, bu.length ? { business_unit: pick(bu[0]!) } : {});
      const multi: Record<string, VariableValue> = {};
      for (const [k, v] of Object.entries(options)) multi[k] = pick(...v.values.slice(0, 2));
      for (const c of checks.filter((x) => x.uid === uid && x.lang === 'en')) {
        expectShape(c, await runCheck(c, { ...range, intervalMs: Math.max(3_600_000, minInterval(c)), variables: single }), false);
        expectShape(c, await runCheck(c, { ...range, intervalMs: Math.max(3_600_000, minInterval(c)), variables: multi }), false);
      }
    }
  });

  const checkOf = (uid: string, title: string, refId = 'A') => {
    const c = checks.find((x) => x.uid === uid && x.panelTitle === title && x.query.refId === refId);
    if (!c) throw new Error(`no panel "${title}" on ${uid}`);
    return c;
  };
  const allVars = () => variableOptions('cs-exec-en', metricsRange);
  const value = (r: Result, column: string, row = 0) => {
    const v = r.rows[row]![r.columns.findIndex((c) => c.name === column)];
    return v === null ? null : Number(v);
  };

  it('KPI ratios equal Σ numerator / Σ denominator at every grain, and the series add up to the same contacts', async () => {
    const variables = await allVars();
    for (const id of EXEC_HEADLINE) {
      const m = METRICS.find((x) => x.id === id)!;
      const kpi = await runCheck(checkOf('cs-exec-en', m.name.en), { ...metricsRange, intervalMs: 600_000, variables });
      for (const grain of ['minute', 'hour', 'day']) {
        const [direct] = (
          await run(
            `SELECT ${m.kind === 'count' ? 'sum(numerator)' : `sum(numerator) / sum(denominator) * ${m.scale}`} AS v FROM ${store.tables.metrics}
             WHERE grain = '${grain}' AND metric = '${id}' AND bucket >= toDateTime(${M0 / 1000}) AND bucket < toDateTime(${M7 / 1000})`,
          )
        ).rows;
        expectClose(value(kpi, id), Number(direct![0]), `${id} at ${grain} grain`);
      }
      if (m.kind === 'ratio') {
        // …which is not the average of the bucket values. Where every bucket has the same denominator
        // (a sparse metric: one outcome an hour) the two are equal by arithmetic; the simulated week
        // follows the calendar, so which metrics are that sparse changes from day to day.
        const [avg] = (
          await run(
            `SELECT avg(value), stddevPop(value), min(denominator) != max(denominator) FROM ${store.tables.metrics} WHERE grain = 'hour' AND metric = '${id}' AND bucket >= toDateTime(${M0 / 1000}) AND bucket < toDateTime(${M7 / 1000})`,
          )
        ).rows;
        if (Number(avg![1]) > 0 && Number(avg![2]) === 1) expect(Math.abs(value(kpi, id)! - Number(avg![0])), id).toBeGreaterThan(1e-9);
      }
    }
    const total = value(await runCheck(checkOf('cs-exec-en', 'Contacts'), { ...metricsRange, intervalMs: 600_000, variables }), 'contacts');
    const series = checks.find((x) => x.uid === 'cs-selfservice-en' && x.panelTitle === 'Contacts' && x.query.format === 'timeSeries')!;
    for (const i of INTERVALS) {
      const r = await runCheck(series, { ...metricsRange, intervalMs: i, variables });
      expect(r.rows.reduce((s, row) => s + Number(row[1]), 0), `contacts per ${i / 1000} s`).toBe(total);
    }
  });

  it('today vs yesterday vs last week equal the day buckets of those days', async () => {
    const variables = await allVars();
    for (const id of EXEC_CORE) {
      const m = METRICS.find((x) => x.id === id)!;
      const c = checks.find((x) => x.uid === 'cs-exec-en' && x.panelTitle === m.name.en && x.query.columns.includes('today'))!;
      const r = await runCheck(c, { ...metricsRange, intervalMs: 600_000, variables });
      const day = async (start: number) => {
        const [row] = (await run(`SELECT ${m.kind === 'count' ? 'sum(numerator)' : `sum(numerator) / sum(denominator) * ${m.scale}`} FROM ${store.tables.metrics} WHERE grain = 'day' AND metric = '${id}' AND bucket = toDateTime(${start / 1000})`)).rows;
        return Number(row![0]);
      };
      expectClose(value(r, 'today'), await day(M7 - DAY), `${id} today`);
      expectClose(value(r, 'yesterday'), await day(M7 - 2 * DAY), `${id} yesterday`);
      expectClose(value(r, 'last_week'), await day(M7 - 8 * DAY), `${id} last week`);
    }
  });

  it('a business unit selected in the variables gives that unit’s figures', async () => {
    const options = await allVars();
    const bu = options.business_unit!.values[0]!;
    const variables = { ...options, business_unit: pick(bu) };
    const r = await runCheck(checkOf('cs-exec-en', 'Human answer rate'), { ...metricsRange, intervalMs: 600_000, variables });
    const [direct] = (await run(`SELECT sum(numerator) / sum(denominator) FROM ${store.tables.metrics} WHERE grain = 'hour' AND metric = 'human_answer_rate' AND business_unit = '${bu}' AND bucket >= toDateTime(${M0 / 1000}) AND bucket < toDateTime(${M7 / 1000})`)).rows;
    expectClose(value(r, 'human_answer_rate'), Number(direct![0]), `human_answer_rate of ${bu}`);
    const byBu = await runCheck(checkOf('cs-exec-en', 'By business unit'), { ...metricsRange, intervalMs: 600_000, variables: options });
    expectClose(Number(byBu.rows.find((row) => row[0] === bu)![byBu.columns.findIndex((c) => c.name === 'human_answer_rate')]), Number(direct![0]), `${bu} row of the breakdown`);
  });

  it('retention by campaign (cs.outreach_outcomes) adds up to the cs.metrics retention figures', async () => {
    const variables = await variableOptions('cs-outreach-en', metricsRange);
    const byCampaign = await runCheck(checkOf('cs-outreach-en', 'Retention by campaign'), { ...metricsRange, intervalMs: 600_000, variables });
    const decided = byCampaign.rows.reduce((s, r) => s + Number(r[1]), 0);
    const retained = byCampaign.rows.reduce((s, r) => s + Number(r[2]), 0);
    const totals = await runCheck(checkOf('cs-outreach-en', 'Decided and retained outreaches'), { ...metricsRange, intervalMs: 600_000, variables });
    expect(decided).toBeGreaterThan(0);
    expect(value(totals, 'decided')).toBe(decided);
    expect(value(totals, 'retained')).toBe(retained);
  });

  it('headcount is shown per bucket, never added across buckets or business units', async () => {
    const variables = await variableOptions('cs-workforce-en', metricsRange);
    const c = checks.find((x) => x.uid === 'cs-workforce-en' && x.query.columns.includes('headcount') && x.query.format === 'timeSeries')!;
    const r = await runCheck(c, { ...metricsRange, intervalMs: 3_600_000, variables });
    const [rows] = (await run(`SELECT count(), sum(numerator) FROM ${store.tables.metrics} WHERE grain = 'hour' AND metric = 'headcount' AND bucket >= toDateTime(${M0 / 1000}) AND bucket <= toDateTime(${(M7 - 1000) / 1000})`)).rows;
    expect(r.rows.length).toBe(Number(rows![0]));
    expect(r.rows.reduce((s, row) => s + Number(row[2]), 0)).toBe(Number(rows![1]));
    const daily = await runCheck(checkOf('cs-workforce-en', 'Daily headcount and staffed hours'), { ...metricsRange, intervalMs: 3_600_000, variables });
    const [days] = (await run(`SELECT count() FROM ${store.tables.metrics} WHERE grain = 'day' AND metric = 'headcount' AND bucket > toDateTime(${M0 / 1000 - 86400}) AND bucket <= toDateTime(${(M7 - 1000) / 1000})`)).rows;
    expect(daily.rows.length).toBe(Number(days![0]));
  });

  it('the provisional-region annotations run, and shade from cs.settled to the end of the range', async () => {
    let n = 0;
    for (const d of Object.values(dashboards)) {
      for (const a of d.annotations.list.filter((x) => x.builtIn !== 1)) {
        const sql = (a.target as ClickHouseQuery).rawSql;
        const metrics = [...(/metric IN \(([^)]*)\)/.exec(sql)![1]!.matchAll(/'([^']+)'/g))].map((m) => m[1]!);
        const [settled] = (await run(`SELECT toUnixTimestamp(min(settled_up_to)) FROM ${store.db}.settled WHERE metric IN (${metrics.map((m) => `'${m}'`).join(', ')})`)).rows;
        const settledAt = Number(settled![0]) * 1000;
        // A range ending after the settled instant: one region from there to its end…
        const to = Math.max(Date.now(), settledAt) + 3_600_000;
        const expanded = expandQuery(sql, { from: M0, to, intervalMs: 60_000, variables: {} });
        expect((await run(expanded)).columns.map((c) => c.name), `${d.uid} ${a.name}`).toEqual(['time', 'timeEnd', 'text']);
        const r = await run(`SELECT toUnixTimestamp(time) * 1000, toUnixTimestamp(timeEnd) * 1000 FROM (${expanded})`);
        expect(r.rows.map((row) => row.map(Number)), `${d.uid} ${a.name}: from where the metrics are settled up to, to the end of the range`).toEqual([[settledAt, Math.floor(to / 1000) * 1000]]);
        // …and none for a range that is all final.
        expect((await run(expandQuery(sql, { from: M0, to: settledAt - 60_000, intervalMs: 60_000, variables: {} }))).rows).toEqual([]);
        n++;
      }
    }
    expect(n).toBeGreaterThanOrEqual(14);
  });

  it('alert rule queries run and give one value per business unit', async () => {
    const rules = generateAlertRules().groups[0]!.rules;
    for (const rule of rules) {
      const { rawSql: sql } = rule.data[0]!.model as ClickHouseQuery;
      const window = rule.data[0]!.relativeTimeRange;
      // The rule's own window, at the end of the loaded week…
      const windowed = await run(expandQuery(sql, { from: M7 - window.from * 1000, to: M7 - window.to * 1000, intervalMs: 60_000, variables: {} }));
      expect(windowed.columns.map((c) => c.name)).toEqual(['business_unit', 'value']);
      // …and over the week, where every unit has the volume to be judged.
      const week = await run(expandQuery(sql, { ...metricsRange, intervalMs: 60_000, variables: {} }));
      expect(week.columns.map((c) => [c.name, c.type.replace(/^Nullable\((.*)\)$/, '$1')])).toEqual([
        ['business_unit', 'LowCardinality(String)'],
        ['value', 'Float64'],
      ]);
      expect(week.rows.length, rule.uid).toBeGreaterThan(0);
      if (SAMPLE && rule.labels.metric === 'human_answer_rate') samples.push({ title: `alert ${rule.uid} over the week`, rows: week });
    }
  });

  it('the band rule: per business unit, how far the day’s contacts are outside the plan’s band, as computed from cs.forecasts and cs.metrics', async () => {
    const rule = generateAlertRules().groups.find((g) => g.name === BAND_ALERT_GROUP)!.rules[0]!;
    const got = await run(expandQuery((rule.data[0]!.model as ClickHouseQuery).rawSql, { from: M7 - DAY, to: M7, intervalMs: 60_000, variables: {} }));
    expect(got.columns.map((c) => c.name)).toEqual(['business_unit', 'value']);
    expect(got.rows.length).toBeGreaterThan(0);
    // The plan: the last run issued before the day began.
    const [plan] = (
      await run(
        `SELECT business_unit, sum(point), sum(lower), sum(upper) FROM ${store.tables.forecasts}
         WHERE role = 'primary' AND kind = 'contacts' AND interval >= toDateTime(${(M7 - DAY) / 1000}) AND interval < toDateTime(${M7 / 1000})
           AND issued_at = (SELECT max(issued_at) FROM ${store.tables.forecastRuns} WHERE kind = 'contacts' AND issued_at <= toDateTime(${(M7 - DAY) / 1000}))
         GROUP BY business_unit ORDER BY business_unit LIMIT 1`,
      )
    ).rows;
    const [bu, forecast, low, high] = [String(plan![0]), Number(plan![1]), Number(plan![2]), Number(plan![3])];
    const [actual] = (await run(`SELECT sum(numerator) FROM ${store.tables.metrics} WHERE grain = 'minute' AND metric = 'contacts' AND business_unit = '${bu}' AND bucket >= toDateTime(${(M7 - DAY) / 1000}) AND bucket < toDateTime(${M7 / 1000})`)).rows;
    const a = Number(actual![0]);
    expectClose(value(got, 'value', got.rows.findIndex((r) => r[0] === bu)), Math.max(a - high, low - a, 0) / forecast, `band deviation of ${bu}`);
  });
});

const SAMPLE_PANELS = [
  { uid: 'cs-exec-en', title: 'Human answer rate' },
  { uid: 'cs-exec-en', title: 'By business unit' },
  { uid: 'cs-selfservice-en', title: 'Voice-bot recognition and confirmation' },
  { uid: 'cs-human-en', title: 'Average handling time: online vs human' },
  { uid: 'cs-outreach-en', title: 'Retention by campaign' },
  { uid: 'cs-workforce-en', title: 'Daily headcount and staffed hours' },
  { uid: 'cs-pipeline-en', title: 'Freshness per topic' },
  { uid: 'cs-pipeline-en', title: 'Dead letters by topic and reason' },
];

// queryChecks is part of the public surface used by other tools; keep the import exercised.
void queryChecks;
