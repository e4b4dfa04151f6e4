/**
 * One-shot (compose service `migrations`): applies the ClickHouse migrations
 * (deploy/clickhouse/migrations) and (re)creates the views generated from the metric catalog —
 * `prepareStorage` of @cs/storage, as the processor does on start — then exits. Running it once
 * before the processors keeps several processor replicas from migrating at the same moment.
 *
 *   node deploy/docker/dist/migrate.js           (in the image, built by `npm run build`)
 *   node --import tsx deploy/docker/migrate.ts   (from the sources)
 *
 * Settings: CLICKHOUSE_URL / CLICKHOUSE_USER / CLICKHOUSE_PASSWORD, CS_DATABASE, CS_TIMEZONE,
 * CS_RAW_RETENTION (as the processor). Retries the first connection for MIGRATE_WAIT (default 60s).
 */
import { loadClickHouseConfig, openClickHouse } from '@cs/clickhouse';
import { createLogger, envReader, loadTimeRules } from '@cs/runtime';
import { loadRawRetention, prepareStorage } from '@cs/storage';

const logger = createLogger('migrations');
const ch = loadClickHouseConfig();
const rules = loadTimeRules();
const rawRetention = loadRawRetention();
const waitMs = envReader().duration('MIGRATE_WAIT', '60s');
const client = openClickHouse(ch, { log: logger });

async function waitForServer(): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const ping = await client.ping();
    if (ping.success) return;
    if (Date.now() >= deadline) throw new Error(`ClickHouse not reachable at ${ch.url ?? ch.dataDir}: ${ping.error.message}`);
    logger.info({ err: ping.error.message }, 'waiting for ClickHouse');
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

let code = 0;
try {
  await waitForServer();
  await prepareStorage(client, { database: ch.database, timeZone: rules.timeZone, logger, rawRetention });
  logger.info({ mode: ch.mode, database: ch.database, timeZone: rules.timeZone }, 'storage ready');
} catch (err) {
  logger.error({ err }, 'migrations failed');
  code = 1;
} finally {
  await client.close();
}
// pino writes asynchronously: let it flush before exiting.
setTimeout(() => process.exit(code), 100);
