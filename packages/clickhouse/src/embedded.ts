// The embedded ClickHouse engine (chdb) behind @clickhouse/client's Connection contract.
//
// Findings that shape this module (chdb 3.4, libchdb 26.7):
// - Queries run on a libuv worker thread (Session.queryAsync); the event loop is not blocked,
//   but each running query occupies one of the UV_THREADPOOL_SIZE (default 4) workers.
// - One process binds ONE data directory; further connections to the same path are cheap
//   (~0.1 ms) and each has its own session state (settings, current database, params).
// - A second PROCESS cannot open a directory in use: the engine flocks `<dir>/status`
//   (which holds `PID: n`) and connection creation fails. A killed holder releases the lock.
// - chdb applies `clickhouse_settings` as `SET k = v; <query>` on the connection, so the
//   settings STAY on that connection for every later query (an `insert_deduplication_token`
//   silently dedups the next unrelated insert). EmbeddedConnection below therefore runs any
//   call that carries engine settings on its own short-lived connection.
// - Results are fully materialised in memory (no streaming); queries with `query_params` are
//   serialised process-wide by chdb (its parameter binding is not connection-safe).
// - readonly=1 set on a connection is enforced by the engine (writes, DDL, SYSTEM, file(),
//   and changing settings, readonly included, are refused).
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseError, type ClickHouseClientConfigOptions } from '@clickhouse/client';
import { createChdbConnection, type ChdbConnection } from 'chdb/connection';
import { countOpened, releaseOpened } from './exit-teardown.ts';
import type { RawInsert } from './insert.ts';
import { pidAlive } from './pid.ts';

/**
 * The Connection contract as @clickhouse/client declares it. chdb types its connection against
 * @clickhouse/client-common, whose (identical) declarations TypeScript treats as distinct, hence
 * the one cast in `asClientConnection`.
 */
export type ClientConnection = NonNullable<ClickHouseClientConfigOptions['connection']>;
type Params<K extends keyof ClientConnection> = Parameters<ClientConnection[K]>[0];
type Result<K extends keyof ClientConnection> = ReturnType<ClientConnection[K]>;

function asClientConnection(conn: ChdbConnection): ClientConnection {
  return conn as unknown as ClientConnection;
}

/** The embedded store is held by another live process. */
export class EmbeddedStoreLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      `the embedded ClickHouse store ${dataDir} is in use by another process${pid ? ` (pid ${pid})` : ''}; ` +
        'only one process can open it. Query it through the running pipeline (npm run sql), stop that process, ' +
        'or point CS_DATA_DIR at another directory.',
      options,
    );
    this.name = 'EmbeddedStoreLockedError';
  }
}


/** The pid the engine wrote into `<dataDir>/status` if that process is alive (and not us). */
export function storeHolderPid(dataDir: string): number | undefined {
  const file = join(dataDir, 'status');
  if (!existsSync(file)) return undefined;
  const m = /^PID:\s*(\d+)/m.exec(readFileSync(file, 'utf8'));
  const pid = m ? Number(m[1]) : undefined;
  return pid !== undefined && pid !== process.pid && pidAlive(pid) ? pid : undefined;
}

/** Opens one native chdb connection on `dataDir`, with a clear error when another process holds it. */
export function openChdb(dataDir: string): ClientConnection {
  mkdirSync(dataDir, { recursive: true });
  try {
    return asClientConnection(createChdbConnection({ path: dataDir }));
  } catch (err) {
    const holder = storeHolderPid(dataDir);
    if (holder !== undefined) throw new EmbeddedStoreLockedError(dataDir, holder, { cause: err });
    const msg = (err as Error).message;
    throw new Error(
      `cannot open the embedded ClickHouse store ${dataDir}: ${msg} ` +
        '(one process can bind only one data directory; if another process uses it, stop it or use the SQL endpoint)',
      { cause: err },
    );
  }
}

/** Settings that only mean something to the HTTP server (chdb drops them), plus default_format (a chdb option). */
const NON_ENGINE_SETTINGS = new Set([
  'default_format',
  'wait_end_of_query',
  'send_progress_in_http_headers',
  'http_response_buffer_size',
  'http_headers_progress_interval_ms',
  'http_send_progress_interval_ms',
  'enable_http_compression',
  'http_zlib_compression_level',
  'http_response_compression_method',
  'http_native_compression_disable_checksumming_on_decompress',
]);

function carriesEngineSettings(params: { clickhouse_settings?: object }): boolean {
  const s = params.clickhouse_settings as Record<string, unknown> | undefined;
  return s !== undefined && Object.entries(s).some(([k, v]) => v !== undefined && !NON_ENGINE_SETTINGS.has(k));
}

/**
 * A Connection on the embedded store whose calls never leak settings into each other: calls without
 * engine settings share one native connection; a call with settings gets its own connection,
 * closed when the call finishes (results are fully materialised by chdb, so that is safe).
 */
export class EmbeddedConnection implements ClientConnection {
  readonly connectionName = 'chdb';
  readonly #shared: ClientConnection;
  #closed = false;

  constructor(readonly dataDir: string) {
    this.#shared = openChdb(dataDir);
    countOpened(dataDir);
  }

  /** An insert made by insertStream, natively: chdb reads the body's bytes in place (its settings travel in the statement). */
  async #rawInsert(insert: RawInsert, signal: AbortSignal | undefined): Promise<Awaited<Result<'exec'>>> {
    const chdb = (this.#shared as unknown as ChdbConnection).chdb;
    // Errors reshaped as the shared connection's are (clickhouse-js ClickHouseError: code, type), so
    // callers tell transient failures from permanent ones whichever path an insert took.
    const summary = await chdb.rawInsert({ table: insert.table, columns: [...insert.columns], settings: insert.settings, format: insert.format, values: insert.values, ...(signal ? { signal } : {}) }).catch((err: unknown) => {
      const mapped = parseError(err instanceof Error && err.message ? err.message : String(err));
      if (mapped !== err) mapped.cause = err;
      throw mapped;
    });
    return {
      stream: Readable.from([]),
      query_id: randomUUID(),
      response_headers: {},
      http_status_code: 200,
      summary: { read_rows: '0', read_bytes: '0', written_rows: String(summary.rowsWritten), written_bytes: String(summary.bytesWritten), total_rows_to_read: '0', result_rows: '0', result_bytes: '0', elapsed_ns: '0' },
    } as unknown as Awaited<Result<'exec'>>;
  }

  async #route<T>(params: { clickhouse_settings?: object }, run: (conn: ClientConnection) => Promise<T>): Promise<T> {
    if (!carriesEngineSettings(params)) return run(this.#shared);
    const own = openChdb(this.dataDir);
    try {
      return await run(own);
    } finally {
      await own.close();
    }
  }

  query(params: Params<'query'>): Result<'query'> {
    return this.#route(params, (c) => c.query(params));
  }
  exec(params: Params<'exec'>): Result<'exec'> {
    const insert = (params as { values?: { insert?: RawInsert } }).values?.insert;
    if (insert && !carriesEngineSettings(params)) return this.#rawInsert(insert, params.abort_signal);
    return this.#route(params, (c) => c.exec(params));
  }
  command(params: Params<'command'>): Result<'command'> {
    return this.#route(params, (c) => c.command(params));
  }
  insert(params: Params<'insert'>): Result<'insert'> {
    return this.#route(params, (c) => c.insert(params));
  }
  ping(params: Params<'ping'>): Result<'ping'> {
    return this.#shared.ping(params);
  }
  /** The last connection of the data directory in this process detaches its databases first (exit-teardown.ts). */
  close(): Promise<void> {
    if (!this.#closed) releaseOpened(this.dataDir);
    this.#closed = true;
    return this.#shared.close();
  }
}
