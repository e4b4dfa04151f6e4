/** Everything generated from the catalog: dashboards (en, zh) and the alert rules file. */
import { targets as catalogTargets } from '@cs/catalog';
import { alertRules, type AlertRuleFile } from './alerts.ts';
import { pathOf, queryChecks, renderBoard, type BoardSpec, type PanelQueryCheck } from './board.ts';
import { executiveBoard } from './boards/executive.ts';
import { humanBoard } from './boards/human.ts';
import { outreachBoard } from './boards/outreach.ts';
import { pipelineBoard } from './boards/pipeline.ts';
import { planningBoard } from './boards/planning.ts';
import { qualityBoard } from './boards/quality.ts';
import { selfServiceBoard } from './boards/self-service.ts';
import { workforceBoard } from './boards/workforce.ts';
import type { Dashboard } from './grafana.ts';
import type { Ctx } from './panels.ts';
import { LANGS } from './text.ts';
import { toYaml, type Yaml } from './yaml.ts';

export interface GenerateOptions {
  /** ClickHouse database of the tables (CS_DATABASE); default `cs`. */
  db?: string;
  /** Targets by metric id; default the catalog's own (`targets({})`), not the environment. */
  targets?: Readonly<Record<string, number>>;
}

const ctxOf = (opts: GenerateOptions = {}): Ctx => ({ db: opts.db ?? 'cs', targets: opts.targets ?? catalogTargets({}) });

export function boards(opts: GenerateOptions = {}): BoardSpec[] {
  const ctx = ctxOf(opts);
  return [executiveBoard(ctx), selfServiceBoard(ctx), humanBoard(ctx), qualityBoard(ctx), outreachBoard(ctx), workforceBoard(ctx), planningBoard(ctx), pipelineBoard(ctx)];
}

/** Dashboards by path under `dashboards/` (`en/…json`, `zh/…json`). */
export function generateDashboards(opts: GenerateOptions = {}): Record<string, Dashboard> {
  const out: Record<string, Dashboard> = {};
  for (const board of boards(opts)) for (const lang of LANGS) out[pathOf(board, lang)] = renderBoard(board, lang);
  return out;
}

/** Every panel query with what the tests expect of it. */
export function dashboardQueryChecks(opts: GenerateOptions = {}): PanelQueryCheck[] {
  return boards(opts).flatMap((b) => LANGS.flatMap((lang) => queryChecks(b, lang)));
}

/** Alert rules, linked to the English board panel of each metric (specialist boards first). */
export function generateAlertRules(opts: GenerateOptions = {}): AlertRuleFile {
  const ctx = ctxOf(opts);
  const all = boards(opts);
  const order = ['selfservice', 'human', 'quality', 'outreach', 'workforce', 'planning', 'exec'];
  const sorted = [...all].sort((a, b) => order.indexOf(a.key) - order.indexOf(b.key));
  return alertRules({ db: ctx.db, targets: ctx.targets, boards: sorted });
}

export const ALERT_RULES_PATH = 'deploy/grafana/provisioning/alerting/cs-metric-targets.yaml';

export function alertRulesYaml(opts: GenerateOptions = {}): string {
  return toYaml(generateAlertRules(opts) as unknown as { [key: string]: Yaml }, [
    'Generated from packages/catalog/src/catalog.ts (targets) by packages/dashboards (npm run dashboards). Do not edit.',
    'Grafana alert rule provisioning: one rule per metric with a target, per business unit; the forecast band rule.',
  ]);
}

/** Every generated file by path from the repository root, with its exact text. */
export function generatedFiles(opts: GenerateOptions = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, dashboard] of Object.entries(generateDashboards(opts))) out[`dashboards/${path}`] = `${JSON.stringify(dashboard, null, 2)}\n`;
  out[ALERT_RULES_PATH] = alertRulesYaml(opts);
  return out;
}
