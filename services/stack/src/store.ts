/**
 * `npm run store`: the embedded ClickHouse store on its own, served over ClickHouse's HTTP interface
 * (SQL_HOST:SQL_PORT), so the pipeline's services run as separate processes against it exactly as
 * against a ClickHouse server — several processors in one consumer group included:
 *
 *   CS_WRITER_PASSWORD=… npm run store
 *   CLICKHOUSE_URL=http://127.0.0.1:8124 CLICKHOUSE_USER=writer CLICKHOUSE_PASSWORD=… \
 *     node --import tsx services/processor/src/main.ts          # as many as there are partitions
 *
 * Users: writer (CS_WRITER_PASSWORD), analyst (CS_ANALYST_PASSWORD; without one, requests without
 * credentials are the analyst), grafana (CS_GRAFANA_PASSWORD). /healthz, /readyz and /metrics on
 * STORE_HTTP_HOST:STORE_HTTP_PORT (127.0.0.1:9402).
 */
import { loadClickHouseConfig, openClickHouse, serveEmbeddedStore } from '@cs/clickhouse';
import { ConfigError, createLogger, envReader, gracefulShutdown, startDefaultMetrics, startServiceHttp } from '@cs/runtime';

const logger = createLogger('store');
const shutdown = gracefulShutdown(logger, 20_000);
shutdown.onSignals();
startDefaultMetrics();

await shutdown.startup(async () => {
  const ch = loadClickHouseConfig();
  if (ch.mode !== 'embedded') throw new ConfigError('npm run store serves the embedded store (CS_DATA_DIR): unset CLICKHOUSE_URL');
  const client = openClickHouse(ch, { log: logger });
  shutdown.add('clickhouse', () => client.close());
  const endpoint = await serveEmbeddedStore(client, { log: logger });
  shutdown.add('sql endpoint', () => endpoint.close());
  if (!endpoint.writable) logger.warn('CS_WRITER_PASSWORD is not set: the store is read-only to other processes');
  const env = envReader();
  const http = await startServiceHttp({ host: env.string('STORE_HTTP_HOST', '127.0.0.1'), port: env.int('STORE_HTTP_PORT', 9402), ready: () => true });
  shutdown.add('http', () => http.close());
  logger.info({ dataDir: ch.dataDir, sql: endpoint.url, health: `http://127.0.0.1:${http.port}/readyz` }, 'store serving');
});
