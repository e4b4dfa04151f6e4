// One query against whichever store is in use, for command-line tools (`npm run sql`, `npm run dlq`):
//   1. the running pipeline's SQL endpoint (<repo>/.stack/sql-endpoint.json, pid alive): read-only
//   2. else the ClickHouse server at CLICKHOUSE_URL
//   3. else the embedded store in CS_DATA_DIR, opened directly
import { createClient, type DataFormat } from '@clickhouse/client';
import type { ClickHouseConfig } from './config.ts';
import { serverClientOptions } from './client.ts';
import { EmbeddedStoreLockedError, storeHolderPid } from './embedded.ts';
import { readEndpointFile, type EndpointInfo } from './endpoint-file.ts';
import { isClickHouseError } from './errors.ts';
import { runEmbeddedQuery } from './readonly-query.ts';
import { clickhouseErrorText } from './sql-endpoint.ts';

export interface StoreQuery {
  sql: string;
  /** Output format when the query has no FORMAT clause. */
  format: string;
  /** Default database for unqualified names. */
  database: string;
  /** False: a missing database falls back to `default` (with a note), as a fresh store has none yet. */
  databaseExplicit?: boolean;
  /** Values of {name:Type} placeholders. */
  params?: Record<string, string>;
  /** Allow writes/DDL (direct server or embedded access only; never via the pipeline's endpoint). */
  write?: boolean;
}

/** Output bytes, or a ClickHouse-style error text. */
export type StoreQueryOutcome = { ok: true; body: Buffer } | { ok: false; text: string };

/** The store cannot be reached or used as asked (the message says why and what to do). */
export class StoreQueryError extends Error {}

async function viaEndpoint(ep: EndpointInfo, q: StoreQuery): Promise<StoreQueryOutcome> {
  const url = new URL(ep.url);
  url.searchParams.set('default_format', q.format);
  url.searchParams.set('database', q.database);
  for (const [k, v] of Object.entries(q.params ?? {})) url.searchParams.set(`param_${k}`, v);
  // The endpoint's analyst, when it has a password (the same CS_ANALYST_PASSWORD as the pipeline's).
  const password = process.env.CS_ANALYST_PASSWORD;
  const headers: Record<string, string> = password ? { 'x-clickhouse-user': 'analyst', 'x-clickhouse-key': password } : {};
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', body: q.sql, headers });
  } catch (err) {
    throw new StoreQueryError(`the pipeline (pid ${ep.pid}) advertises ${ep.url} but it does not answer: ${(err as Error).message}`);
  }
  const body = Buffer.from(await res.arrayBuffer());
  return res.ok ? { ok: true, body } : { ok: false, text: body.toString('utf8') };
}

async function viaServer(cfg: ClickHouseConfig, q: StoreQuery): Promise<StoreQueryOutcome> {
  const client = createClient(serverClientOptions(cfg, q.database));
  try {
    const result = await client.exec({
      query: q.sql,
      query_params: q.params ?? {},
      clickhouse_settings: { default_format: q.format as DataFormat, ...(q.write ? {} : { readonly: '1' }) },
    });
    const chunks: Buffer[] = [];
    for await (const chunk of result.stream) chunks.push(Buffer.from(chunk as Buffer));
    return { ok: true, body: Buffer.concat(chunks) };
  } catch (err) {
    if (isClickHouseError(err)) return { ok: false, text: clickhouseErrorText(err).text };
    throw new StoreQueryError(`cannot query ClickHouse at ${cfg.url}: ${(err as Error).message}`);
  } finally {
    await client.close();
  }
}

async function viaEmbedded(cfg: ClickHouseConfig, q: StoreQuery, note: (text: string) => void): Promise<StoreQueryOutcome> {
  const holder = storeHolderPid(cfg.dataDir);
  if (holder !== undefined) {
    throw new StoreQueryError(
      `the embedded store ${cfg.dataDir} is held by process ${holder}, which advertises no SQL endpoint ` +
        '(no live .stack/sql-endpoint.json). Wait for it to finish or stop it, then retry.',
    );
  }
  const run = (database: string) =>
    runEmbeddedQuery(cfg.dataDir, { sql: q.sql, database, defaultFormat: q.format, params: q.params ?? {}, readonly: q.write ? 0 : 1 });
  try {
    return { ok: true, body: (await run(q.database)).body };
  } catch (err) {
    if (err instanceof EmbeddedStoreLockedError) throw new StoreQueryError(err.message);
    if (!isClickHouseError(err)) throw err;
    if (err.code === '81' && !q.databaseExplicit && q.database !== 'default') {
      note(`(database ${q.database} does not exist yet — run the pipeline once to create it; using "default")`);
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

/** Runs `q` on the store `cfg` names (see the top of this file); `note` receives remarks for the user. */
export async function queryStore(cfg: ClickHouseConfig, q: StoreQuery, note: (text: string) => void = () => undefined): Promise<StoreQueryOutcome> {
  const ep = readEndpointFile();
  const endpointServesThisStore = ep !== undefined && (ep.dataDir === undefined || cfg.mode === 'server' || ep.dataDir === cfg.dataDir);
  if (endpointServesThisStore && !(q.write && cfg.mode === 'server')) {
    if (q.write) throw new StoreQueryError(`the pipeline (pid ${ep!.pid}) holds the embedded store and its SQL endpoint is read-only; stop the pipeline to write`);
    return viaEndpoint(ep!, q);
  }
  return cfg.mode === 'server' ? viaServer(cfg, q) : viaEmbedded(cfg, q, note);
}

/** A read-only query's rows (JSONEachRow); a ClickHouse error becomes a StoreQueryError with its text. */
export async function queryStoreRows<T>(cfg: ClickHouseConfig, sql: string, params: Record<string, string> = {}): Promise<T[]> {
  const outcome = await queryStore(cfg, { sql, format: 'JSONEachRow', database: cfg.database, databaseExplicit: true, params });
  if (!outcome.ok) throw new StoreQueryError(outcome.text.trim());
  return outcome.body
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}
