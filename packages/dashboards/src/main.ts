/**
 * Writes the generated Grafana dashboards (dashboards/en, dashboards/zh) and alert rules
 * (deploy/grafana/provisioning/alerting) from the metric catalog.
 *
 *   tsx packages/dashboards/src/main.ts                     write the files
 *   tsx packages/dashboards/src/main.ts --check             exit 1 if a file is missing or differs
 *   tsx packages/dashboards/src/main.ts --targets-from-env  use CS_TARGET_<METRIC_ID> overrides (a
 *                                                           deployment's own files; not for the repository)
 *   tsx packages/dashboards/src/main.ts --database cs2      tables of another CS_DATABASE
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { targets } from '@cs/catalog';
import { generatedFiles } from './generate.ts';
import { LANGS } from './text.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const dbIndex = argv.indexOf('--database');
  const db = dbIndex >= 0 ? argv[dbIndex + 1] : undefined;
  if (dbIndex >= 0 && (!db || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(db))) {
    console.error('--database needs a database name');
    return 2;
  }
  const unknown = argv.filter((a, i) => !['--check', '--targets-from-env', '--database'].includes(a) && !(dbIndex >= 0 && i === dbIndex + 1));
  if (unknown.length) {
    console.error(`unknown argument ${unknown[0]}; usage: main.ts [--check] [--targets-from-env] [--database <name>]`);
    return 2;
  }
  const files = generatedFiles({ ...(db ? { db } : {}), ...(argv.includes('--targets-from-env') ? { targets: targets(process.env) } : {}) });
  // Stale generated dashboards (a board renamed or removed) are reported or deleted too.
  const stale = LANGS.flatMap((lang) => {
    const dir = join(ROOT, 'dashboards', lang);
    return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => `dashboards/${lang}/${f}`).filter((p) => !(p in files)) : [];
  });
  let problems = 0;
  for (const [path, text] of Object.entries(files)) {
    const abs = join(ROOT, path);
    const current = existsSync(abs) ? readFileSync(abs, 'utf8') : undefined;
    if (current === text) continue;
    if (check) {
      console.error(`${path} is ${current === undefined ? 'missing' : 'out of date'}`);
      problems++;
    } else {
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, text);
      console.log(`wrote ${path}`);
    }
  }
  for (const path of stale) {
    if (check) {
      console.error(`${path} is not generated any more`);
      problems++;
    } else {
      rmSync(join(ROOT, path));
      console.log(`removed ${path}`);
    }
  }
  if (check && problems) console.error('run: npm run dashboards');
  else if (!problems) console.log(check ? `${Object.keys(files).length} generated files up to date` : `${Object.keys(files).length} files generated`);
  return problems ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
