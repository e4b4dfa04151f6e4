// One way to get a ClickHouse client, whichever backend the config selects.
import { createClient, type ClickHouseClient, type ClickHouseClientConfigOptions, type Logger as ClientLogger } from '@clickhouse/client';
import type { Logger } from '@cs/runtime';
import type { ClickHouseConfig } from './config.ts';
import { EmbeddedConnection } from './embedded.ts';

export type { ClickHouseClient };

const configs = new WeakMap<ClickHouseClient, ClickHouseConfig>();

/** Options for @clickhouse/client in server mode (also used to open a client on another default database). */
export function serverClientOptions(cfg: ClickHouseConfig, database = 'default'): ClickHouseClientConfigOptions {
  if (cfg.url === undefined) throw new Error('serverClientOptions: config is not in server mode (CLICKHOUSE_URL unset)');
  return {
    url: cfg.url,
    username: cfg.user,
    password: cfg.password,
    database,
    application: 'cs-analytics',
    // long DDL/backfills: progress headers keep the connection alive through proxies
    request_timeout: 300_000,
    clickhouse_settings: { send_progress_in_http_headers: 1, http_headers_progress_interval_ms: '110000' },
  };
}

/**
 * Routes @clickhouse/client's own log lines to pino. Its "request error" lines duplicate errors the
 * caller receives anyway, so they go to debug; warnings stay warnings.
 */
function clientLogger(log: Logger): new () => ClientLogger {
  return class implements ClientLogger {
    trace(p: Parameters<ClientLogger['trace']>[0]) {
      log.trace({ module: p.module, ...p.args }, p.message);
    }
    debug(p: Parameters<ClientLogger['debug']>[0]) {
      log.debug({ module: p.module, ...p.args }, p.message);
    }
    info(p: Parameters<ClientLogger['info']>[0]) {
      log.debug({ module: p.module, ...p.args }, p.message);
    }
    warn(p: Parameters<ClientLogger['warn']>[0]) {
      log.warn({ module: p.module, ...p.args, err: p.err }, p.message);
    }
    error(p: Parameters<ClientLogger['error']>[0]) {
      log.debug({ module: p.module, ...p.args, err: p.err }, p.message);
    }
  };
}

export interface OpenOptions {
  /** Where @clickhouse/client's own log lines go (default: its console logger, warnings and errors). */
  log?: Logger;
}

/**
 * The @clickhouse/client API over the configured backend: HTTP to CLICKHOUSE_URL, or the embedded
 * engine on `cfg.dataDir`. The client's default database is `default` in both modes, so code must
 * qualify table names (`${cfg.database}.metrics`) — the analyst database may not exist yet.
 * Embedded mode: one process per data directory (EmbeddedStoreLockedError otherwise).
 */
export function openClickHouse(cfg: ClickHouseConfig, opts: OpenOptions = {}): ClickHouseClient {
  const log = opts.log ? { log: { LoggerClass: clientLogger(opts.log) } } : {};
  const client =
    cfg.mode === 'server'
      ? createClient({ ...serverClientOptions(cfg), ...log })
      : createClient({ connection: new EmbeddedConnection(cfg.dataDir), application: 'cs-analytics', ...log });
  configs.set(client, cfg);
  return client;
}

/** The config a client was opened with (undefined for clients not made by openClickHouse). */
export function configOf(client: ClickHouseClient): ClickHouseConfig | undefined {
  return configs.get(client);
}
