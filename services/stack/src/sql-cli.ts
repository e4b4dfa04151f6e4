// `npm run sql -- "<query>"`: one read-only SQL prompt for whichever store is in use (queryStore:
// the running pipeline's SQL endpoint, as the analyst (with CS_ANALYST_PASSWORD when the endpoint
// requires it), else CLICKHOUSE_URL, else the embedded store directly).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { StoreQueryError, formatClause, loadClickHouseConfig, queryStore, type ClickHouseConfig, type StoreQuery, type StoreQueryOutcome } from '@cs/clickhouse';

const USAGE = `usage: npm run sql -- [options] "<query>"     (or pipe the query on stdin)
  -f, --format <F>        output format when the query has no FORMAT clause (default PrettyCompact)
  -d, --database <db>     default database for unqualified names (default CS_DATABASE, i.e. cs)
  -p, --param name=value  value for a {name:Type} placeholder (repeatable)
      --write             allow writes/DDL (direct server or embedded access only; never via the pipeline)
  -h, --help`;

class CliError extends Error {}


function parseRequest(argv: string[], cfg: ClickHouseConfig): StoreQuery | undefined {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string', short: 'f' },
      database: { type: 'string', short: 'd' },
      param: { type: 'string', short: 'p', multiple: true },
      write: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return undefined;
  let sql = positionals.join(' ').trim();
  if (sql === '' && !process.stdin.isTTY) sql = readFileSync(0, 'utf8').trim();
  if (sql === '') throw new CliError(`no query given\n${USAGE}`);
  const params: Record<string, string> = {};
  for (const p of values.param ?? []) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new CliError(`--param expects name=value, got "${p}"`);
    params[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return {
    sql,
    format: values.format ?? 'PrettyCompact',
    database: values.database ?? cfg.database,
    databaseExplicit: values.database !== undefined,
    params,
    write: values.write ?? false,
  };
}

function write(stream: NodeJS.WriteStream, data: Buffer | string): Promise<void> {
  return new Promise((resolve) => stream.write(data, () => resolve()));
}

async function main(): Promise<number> {
  const cfg = loadClickHouseConfig();
  const r = parseRequest(process.argv.slice(2), cfg);
  if (!r) {
    await write(process.stdout, `${USAGE}\n`);
    return 0;
  }
  let outcome: StoreQueryOutcome;
  try {
    outcome = await queryStore(cfg, r, (note) => process.stderr.write(`${note}\n`));
  } catch (err) {
    if (err instanceof StoreQueryError) throw new CliError(err.message);
    throw err;
  }
  if (!outcome.ok) {
    await write(process.stderr, outcome.text.endsWith('\n') ? outcome.text : `${outcome.text}\n`);
    return 1;
  }
  await write(process.stdout, outcome.body);
  if (formatClause(r.sql) === undefined && outcome.body.length === 0 && process.stdout.isTTY) await write(process.stderr, '(0 rows)\n');
  return 0;
}

main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    await write(process.stderr, `${err instanceof CliError ? err.message : `error: ${(err as Error).message ?? String(err)}`}\n`);
    process.exit(1);
  },
);
