// `npm run sql -- "<query>"`: one read-only SQL prompt for whichever store is in use.
//   1. the running pipeline's SQL endpoint (<repo>/.stack/sql-endpoint.json, pid alive), as the analyst
//      (with CS_ANALYST_PASSWORD when the endpoint requires it)
//   2. else the ClickHouse server at CLICKHOUSE_URL
//   3. else the embedded store in CS_DATA_DIR, opened directly
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createClient, type DataFormat } from '@clickhouse/client';
import {
  EmbeddedStoreLockedError,
  clickhouseErrorText,
  formatClause,
  isClickHouseError,
  loadClickHouseConfig,
  readEndpointFile,
  runEmbeddedQuery,
  serverClientOptions,
  storeHolderPid,
  type ClickHouseConfig,
  type EndpointInfo,
} from '@cs/clickhouse';

const USAGE = `usage: npm run sql -- [options] "<query>"     (or pipe the query on stdin)
  -f, --format <F>        output format when the query has no FORMAT clause (default PrettyCompact)
  -d, --database <db>     default database for unqualified names (default CS_DATABASE, i.e. cs)
  -p, --param name=value  value for a {name:Type} placeholder (repeatable)
      --write             allow writes/DDL (direct server or embedded access only; never via the pipeline)
  -h, --help`;

class CliError extends Error {}

interface Request {
  sql: string;
  format: string;
  database: string;
  databaseExplicit: boolean;
  params: Record<string, string>;
  write: boolean;
}

function parseRequest(argv: string[], cfg: ClickHouseConfig): Request | undefined {
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

/** Output bytes, or a ClickHouse-style error text. */
type Outcome = { ok: true; body: Buffer } | { ok: false; text: string };

async function viaEndpoint(ep: EndpointInfo, r: Request): Promise<Outcome> {
  const url = new URL(ep.url);
  url.searchParams.set('default_format', r.format);
  url.searchParams.set('database', r.database);
  for (const [k, v] of Object.entries(r.params)) url.searchParams.set(`param_${k}`, v);
  // The endpoint's analyst, when it has a password (the same CS_ANALYST_PASSWORD as the pipeline's).
  const password = process.env.CS_ANALYST_PASSWORD;
  const headers: Record<string, string> = password ? { 'x-clickhouse-user': 'analyst', 'x-clickhouse-key': password } : {};
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', body: r.sql, headers });
  } catch (err) {
    throw new CliError(`the pipeline (pid ${ep.pid}) advertises ${ep.url} but it does not answer: ${(err as Error).message}`);
  }
  const body = Buffer.from(await res.arrayBuffer());
  return res.ok ? { ok: true, body } : { ok: false, text: body.toString('utf8') };
}

async function viaServer(cfg: ClickHouseConfig, r: Request): Promise<Outcome> {
  const client = createClient(serverClientOptions(cfg, r.database));
  try {
    const result = await client.exec({
      query: r.sql,
      query_params: r.params,
      clickhouse_settings: { default_format: r.format as DataFormat, ...(r.write ? {} : { readonly: '1' }) },
    });
    const chunks: Buffer[] = [];
    for await (const chunk of result.stream) chunks.push(Buffer.from(chunk as Buffer));
    return { ok: true, body: Buffer.concat(chunks) };
  } catch (err) {
    if (isClickHouseError(err)) return { ok: false, text: clickhouseErrorText(err).text };
    throw new CliError(`cannot query ClickHouse at ${cfg.url}: ${(err as Error).message}`);
  } finally {
    await client.close();
  }
}

async function viaEmbedded(cfg: ClickHouseConfig, r: Request): Promise<Outcome> {
  const holder = storeHolderPid(cfg.dataDir);
  if (holder !== undefined) {
    throw new CliError(
      `the embedded store ${cfg.dataDir} is held by process ${holder}, which advertises no SQL endpoint ` +
        '(no live .stack/sql-endpoint.json). Wait for it to finish or stop it, then retry.',
    );
  }
  const run = (database: string) =>
    runEmbeddedQuery(cfg.dataDir, { sql: r.sql, database, defaultFormat: r.format, params: r.params, readonly: r.write ? 0 : 1 });
  try {
    return { ok: true, body: (await run(r.database)).body };
  } catch (err) {
    if (err instanceof EmbeddedStoreLockedError) throw new CliError(err.message);
    if (!isClickHouseError(err)) throw err;
    if (err.code === '81' && !r.databaseExplicit && r.database !== 'default') {
      process.stderr.write(`(database ${r.database} does not exist yet — run the pipeline once to create it; using "default")\n`);
      try {
        return { ok: true, body: (await run('default')).body };
      } catch (again) {
        if (isClickHouseError(again)) return { ok: false, text: clickhouseErrorText(again).text };
        throw again;
      }
    }
    return { ok: false, text: clickhouseErrorText(err).text };
  }
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
  const ep = readEndpointFile();
  const endpointServesThisStore = ep !== undefined && (ep.dataDir === undefined || cfg.mode === 'server' || ep.dataDir === cfg.dataDir);
  let outcome: Outcome;
  if (endpointServesThisStore && !(r.write && cfg.mode === 'server')) {
    if (r.write) throw new CliError(`the pipeline (pid ${ep!.pid}) holds the embedded store and its SQL endpoint is read-only; stop the pipeline to write`);
    outcome = await viaEndpoint(ep!, r);
  } else if (cfg.mode === 'server') {
    outcome = await viaServer(cfg, r);
  } else {
    outcome = await viaEmbedded(cfg, r);
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
