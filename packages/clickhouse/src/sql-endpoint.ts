// SQL over HTTP, compatible with ClickHouse's HTTP interface, so analysts can point curl,
// @clickhouse/client or a BI tool at the embedded store while the pipeline holds it, and so other
// processes of the pipeline can write to it (CLICKHOUSE_URL at this endpoint, user `writer`).
// Users, roles and reader limits: sql-access.ts; what each role may run: sql-guard.ts.
import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { ClickHouseClient } from '@clickhouse/client';
import { counter, readBody, type Logger } from '@cs/runtime';
import { configOf } from './client.ts';
import { isClickHouseError } from './errors.ts';
import type { ClickHouseConfig } from './config.ts';
import { clientSideError, runEmbeddedQuery } from './readonly-query.ts';
import { authenticate, limitSettings, loadSqlAccess, requestCredentials, type SqlAccess } from './sql-access.ts';
import { checkStatement, splitInsertData } from './sql-guard.ts';

export interface SqlEndpointOptions {
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** Readers' default database for unqualified names (the `database` parameter overrides it per request). */
  database: string;
  /** Users, roles and reader limits (default: loadSqlAccess() over an empty environment: anonymous analyst only). */
  access?: SqlAccess;
  /** Reader queries running at once; more wait their turn (default 2), leaving the engine's threads to the pipeline. */
  maxConcurrent?: number;
  /** Writer queries running at once (default 8): the pipeline's inserts never queue behind analysts. */
  maxConcurrentWrites?: number;
  /** Reader request bodies above this are refused with 413 (default 16 MiB). */
  maxBodyBytes?: number;
  /** Writer request bodies (inserts) above this are refused with 413 (default 256 MiB). */
  maxWriteBodyBytes?: number;
  log?: Logger;
}

export interface SqlEndpoint {
  url: string;
  port: number;
  close(): Promise<void>;
}

const requests = counter('cs_sql_endpoint_requests_total', 'SQL endpoint requests by role and outcome (ok, refused, auth_failed)', ['role', 'outcome']);

/** Parameters that are not settings: HTTP-interface controls, or ones this endpoint decides itself. */
const NOT_SETTINGS = new Set([
  'query', 'database', 'default_format', 'query_id', 'session_id', 'session_timeout', 'session_check',
  'user', 'password', 'quota_key', 'role', 'compress', 'decompress', 'buffer_size', 'wait_end_of_query',
  'readonly', 'enable_http_compression', 'send_progress_in_http_headers', 'add_http_cors_header',
  'client_protocol_version', 'stacktrace', 'query_plan_serialization_version',
]);

/** HTTP status ClickHouse uses for an error code (everything else: 500). */
function httpStatus(code: number): number {
  if ([164, 497, 516].includes(code)) return 403; // READONLY, ACCESS_DENIED, AUTHENTICATION_FAILED
  if (code === 194) return 401; // REQUIRED_PASSWORD
  if (code === 159) return 408; // TIMEOUT_EXCEEDED
  if ([60, 81, 46, 47, 16].includes(code)) return 404; // UNKNOWN_TABLE/DATABASE/FUNCTION/IDENTIFIER, NO_SUCH_COLUMN_IN_TABLE
  if ([62, 27, 26, 6, 72, 73, 115, 456, 457, 53, 43, 44, 36, 452].includes(code)) return 400; // syntax, parse, settings, params, types, constraints
  if (code === 396 || code === 307) return 413; // result or query too large
  return 500;
}

/**
 * A reader's settings, capped: each limit applies unless the request asks for less; more, or 0
 * (unlimited), is refused as ClickHouse refuses a value beyond a MAX constraint (452).
 */
function readerSettings(requested: Record<string, string>, access: SqlAccess): Record<string, string> {
  const out = { ...requested };
  for (const [name, cap] of Object.entries(limitSettings(access.limits))) {
    const asked = requested[name];
    if (asked === undefined) {
      out[name] = String(cap);
      continue;
    }
    const value = Number(asked);
    if (!Number.isFinite(value) || value <= 0 || value > cap) {
      throw clientSideError(452, 'SETTING_CONSTRAINT_VIOLATION', `Setting ${name} shouldn't be greater than ${cap} nor 0 (unlimited) for this user, got ${asked}`);
    }
  }
  return out;
}

function contentType(format: string): string {
  const f = format.toLowerCase();
  if (f.startsWith('tabseparated') || f.startsWith('tsv')) return 'text/tab-separated-values; charset=UTF-8';
  if (f.startsWith('csv')) return 'text/csv; charset=UTF-8';
  if (f.startsWith('json') || f === 'ndjson') return 'application/json; charset=UTF-8';
  if (['parquet', 'arrow', 'arrowstream', 'orc', 'avro', 'native', 'npy'].includes(f) || f.startsWith('rowbinary')) return 'application/octet-stream';
  return 'text/plain; charset=UTF-8';
}

/** ClickHouse's error text: `Code: N. DB::Exception: message. (TYPE) (version V)` (no version suffix when `version` is empty). */
export function clickhouseErrorText(err: unknown, version = ''): { code: number; text: string } {
  const v = version ? ` (version ${version})` : '';
  if (isClickHouseError(err)) {
    const raw = err.cause instanceof Error && /^Code: \d+\./.test(err.cause.message) ? err.cause.message.trim() : undefined;
    const text = raw ?? `Code: ${err.code}. DB::Exception: ${err.message.trim()} (${err.type ?? 'UNKNOWN_EXCEPTION'})`;
    return { code: Number(err.code), text: `${text}${v}\n` };
  }
  const status = (err as { status?: number }).status;
  if (status === 413) return { code: 307, text: `Code: 307. DB::Exception: ${(err as Error).message}. (TOO_LARGE_STRING_SIZE)${v}\n` };
  return { code: 1001, text: `Code: 1001. DB::Exception: ${(err as Error).message ?? String(err)}. (STD_EXCEPTION)${v}\n` };
}

/** At most `max` tasks at once; a finishing task hands its slot straight to the next waiter. */
function limiter(max: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active < max) active++;
    else await new Promise<void>((resume) => waiting.push(resume));
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}

const inflate: Record<string, (b: Buffer) => Promise<Buffer>> = {
  gzip: promisify(zlib.gunzip),
  'x-gzip': promisify(zlib.gunzip),
  deflate: promisify(zlib.inflate),
  br: promisify(zlib.brotliDecompress),
};
const deflate: Record<string, (b: Buffer) => Promise<Buffer>> = {
  gzip: promisify(zlib.gzip),
  deflate: promisify(zlib.deflate),
  br: promisify(zlib.brotliCompress),
};

async function requestBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const raw = await readBody(req, limit);
  const encoding = String(req.headers['content-encoding'] ?? '').toLowerCase();
  if (!encoding || encoding === 'identity') return raw;
  const decode = inflate[encoding];
  if (!decode) throw clientSideError(1001, 'STD_EXCEPTION', `Unsupported Content-Encoding: ${encoding}`);
  return decode(raw);
}

/** Fields of a multipart/form-data body (how @clickhouse/client can send `query` and `param_*`). */
function multipartFields(body: Buffer, contentTypeHeader: string): Map<string, string> {
  const fields = new Map<string, string>();
  const boundary = /boundary="?([^";]+)"?/i.exec(contentTypeHeader)?.[1];
  if (!boundary) return fields;
  for (const part of body.toString('utf8').split(`--${boundary}`)) {
    const sep = part.indexOf('\r\n\r\n');
    if (sep === -1) continue;
    const name = /name="([^"]*)"/i.exec(part.slice(0, sep))?.[1];
    if (name !== undefined) fields.set(name, part.slice(sep + 4).replace(/\r\n$/, ''));
  }
  return fields;
}

function send(res: ServerResponse, status: number, body: Buffer | string, headers: OutgoingHttpHeaders = {}): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { 'content-length': buf.length, ...headers });
  res.end(buf);
}

/** Starts the endpoint for a client from openClickHouse: embedded → runs queries itself; server → proxies to CLICKHOUSE_URL. */
export async function startSqlEndpoint(client: ClickHouseClient, opts: SqlEndpointOptions): Promise<SqlEndpoint> {
  const cfg = configOf(client);
  if (!cfg) throw new Error('startSqlEndpoint needs a client created by openClickHouse()');
  const host = opts.host ?? '127.0.0.1';
  const handle = cfg.mode === 'embedded' ? embeddedHandler(cfg, opts) : proxyHandler(cfg, opts);

  // Long URLs (query parameters) are fine, as on a server (http_max_uri_size is 1 MiB there).
  const server = createServer({ maxHeaderSize: 1024 * 1024 }, (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const isQuery = req.method === 'POST' || url.searchParams.has('query');
    if (!isQuery && (url.pathname === '/' || url.pathname === '/ping' || url.pathname === '/replicas_status')) {
      send(res, 200, 'Ok.\n', { 'content-type': 'text/html; charset=UTF-8' });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'POST') {
      send(res, 405, `Code: 1001. DB::Exception: method ${req.method} is not supported. (STD_EXCEPTION)\n`, { allow: 'GET, POST' });
      return;
    }
    handle(req, res, url).catch((err: unknown) => {
      opts.log?.error({ err }, 'sql endpoint failure');
      if (!res.headersSent) send(res, 500, clickhouseErrorText(err, '').text);
      else res.destroy();
    });
  });
  // Idle keep-alive connections stay open 30 s, far beyond @clickhouse/client's idle-socket TTL (2.5 s):
  // a starved client that reuses a pooled socket late must not find it closed under its insert (EPIPE).
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

function embeddedHandler(cfg: ClickHouseConfig, opts: SqlEndpointOptions): Handler {
  const access = opts.access ?? loadSqlAccess({});
  const readers = limiter(opts.maxConcurrent ?? 2);
  const writers = limiter(opts.maxConcurrentWrites ?? 8);
  let server: Promise<{ version: string; timezone: string }> | undefined;
  const serverInfo = () =>
    (server ??= runEmbeddedQuery(cfg.dataDir, { sql: 'SELECT version(), timezone()', readonly: 1 })
      .then((r) => {
        const [version = '', timezone = 'UTC'] = r.body.toString('utf8').trim().split('\t');
        return { version, timezone };
      })
      .catch(() => ({ version: 'unknown', timezone: 'UTC' })));

  return async (req, res, url) => {
    const started = performance.now();
    const queryId = url.searchParams.get('query_id') || randomUUID();
    const info = await serverInfo();
    const base: OutgoingHttpHeaders = {
      'x-clickhouse-query-id': queryId,
      'x-clickhouse-timezone': info.timezone,
      'x-clickhouse-server-display-name': 'cs-embedded',
    };
    let statement = '';
    let user = '';
    let role = 'unauthenticated';
    try {
      const credentials = requestCredentials(req, url);
      user = credentials?.user || 'default';
      const account = authenticate(access, credentials);
      role = account.role;
      const writer = account.role === 'writer';
      const fields = new Map<string, string>(url.searchParams);
      let body = req.method === 'POST' ? await requestBody(req, writer ? (opts.maxWriteBodyBytes ?? 256 * 1024 * 1024) : (opts.maxBodyBytes ?? 16 * 1024 * 1024)) : Buffer.alloc(0);
      const ctype = String(req.headers['content-type'] ?? '');
      if (ctype.toLowerCase().startsWith('multipart/form-data')) {
        for (const [k, v] of multipartFields(body, ctype)) fields.set(k, v);
        body = Buffer.alloc(0);
      }
      const sql = [fields.get('query') ?? '', body.toString('utf8')].filter((s) => s.trim() !== '').join('\n');
      if (sql.trim() === '') throw clientSideError(62, 'SYNTAX_ERROR', 'Empty query');
      const split = splitInsertData(sql);
      statement = split.statement;
      checkStatement(statement, account.role, account.user);

      const params: Record<string, string> = {};
      const requested: Record<string, string> = {};
      for (const [k, v] of fields) {
        if (k.startsWith('param_')) params[k.slice(6)] = v;
        else if (!NOT_SETTINGS.has(k) && !k.startsWith('http_')) requested[k] = v;
      }
      const settings = writer ? requested : readerSettings(requested, access);
      const header = (name: string) => {
        const v = req.headers[name];
        return typeof v === 'string' && v !== '' ? v : undefined;
      };
      const query = {
        sql: statement,
        // Each user's default database, as on a server: readers the analyst database, the writer `default`
        // (it creates the analyst database, and @clickhouse/client sends no parameter for `default`).
        database: fields.get('database') || header('x-clickhouse-database') || (writer ? 'default' : opts.database),
        defaultFormat: fields.get('default_format') || header('x-clickhouse-format') || 'TabSeparated',
        params,
        settings,
        readonly: writer ? (0 as const) : (1 as const),
        ...(split.data !== undefined ? { data: split.data } : {}),
      };
      // An insert without rows writes nothing, as on a server (the engine would call it an error).
      const result =
        split.data !== undefined && split.data.trim() === ''
          ? { body: Buffer.alloc(0), format: query.defaultFormat, summary: { read_rows: '0', written_rows: '0' } }
          : await (writer ? writers : readers)(() => runEmbeddedQuery(cfg.dataDir, query));
      let payload = result.body;
      const headers: OutgoingHttpHeaders = {
        ...base,
        'content-type': contentType(result.format),
        'x-clickhouse-format': result.format,
        'x-clickhouse-summary': JSON.stringify(result.summary),
      };
      if (fields.get('enable_http_compression') === '1') {
        const accepted = String(req.headers['accept-encoding'] ?? '').toLowerCase();
        const codec = ['gzip', 'br', 'deflate'].find((c) => accepted.includes(c));
        if (codec) {
          payload = await deflate[codec]!(payload);
          headers['content-encoding'] = codec;
        }
      }
      send(res, 200, payload, headers);
      requests.inc({ role, outcome: 'ok' });
      opts.log?.debug({ queryId, user: account.user, ms: Math.round(performance.now() - started), bytes: payload.length }, 'sql endpoint query');
    } catch (err) {
      const { code, text } = clickhouseErrorText(err, info.version);
      requests.inc({ role, outcome: code === 516 ? 'auth_failed' : 'refused' });
      if (code === 516) opts.log?.warn({ queryId, user, remote: req.socket.remoteAddress }, 'sql endpoint: authentication failed');
      else opts.log?.info({ queryId, user, code, sql: statement.slice(0, 500) }, 'sql endpoint query refused or failed');
      send(res, httpStatus(code), text, { ...base, 'content-type': 'text/plain; charset=UTF-8', 'x-clickhouse-exception-code': String(code) });
    }
  };
}

/**
 * Server mode: forward to CLICKHOUSE_URL as a reader, whoever logs in here: readonly=1, the reader
 * limits, and the configured credentials (give the endpoint a read-only server user).
 */
function proxyHandler(cfg: ClickHouseConfig, opts: SqlEndpointOptions): Handler {
  const upstreamBase = new URL(cfg.url!);
  const access = opts.access ?? loadSqlAccess({});
  return (req, res, url) =>
    new Promise<void>((resolve) => {
      let limits: Record<string, string>;
      try {
        authenticate(access, requestCredentials(req, url));
        limits = readerSettings(Object.fromEntries(url.searchParams), access);
      } catch (err) {
        const { code, text } = clickhouseErrorText(err);
        send(res, httpStatus(code), text, { 'content-type': 'text/plain; charset=UTF-8', 'x-clickhouse-exception-code': String(code) });
        return resolve();
      }
      const target = new URL(upstreamBase);
      if (target.pathname === '/' || target.pathname === '') target.pathname = url.pathname;
      const search = new URLSearchParams(url.search);
      for (const k of ['user', 'password', 'quota_key', 'readonly']) search.delete(k);
      for (const name of Object.keys(limitSettings(access.limits))) search.set(name, limits[name]!);
      search.set('readonly', '1');
      if (!search.has('database') && !req.headers['x-clickhouse-database']) search.set('database', opts.database);
      target.search = search.toString();
      const headers: OutgoingHttpHeaders = { ...req.headers };
      for (const h of ['host', 'authorization', 'x-clickhouse-user', 'x-clickhouse-key', 'connection']) delete headers[h];
      headers['x-clickhouse-user'] = cfg.user;
      headers['x-clickhouse-key'] = cfg.password;
      const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const upstream = request(target, { method: req.method, headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        up.on('end', resolve);
        up.on('error', () => (res.destroy(), resolve()));
      });
      upstream.on('error', (err) => {
        if (!res.headersSent) {
          send(res, 502, `Code: 210. DB::Exception: cannot reach ClickHouse at ${upstreamBase.origin}: ${err.message}. (NETWORK_ERROR)\n`, {
            'content-type': 'text/plain; charset=UTF-8',
            'x-clickhouse-exception-code': '210',
          });
        } else res.destroy();
        resolve();
      });
      req.pipe(upstream);
    });
}
