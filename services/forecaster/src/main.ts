/**
 * The forecaster as its own process (compose service `forecaster`): against a ClickHouse server
 * (CLICKHOUSE_URL), or the embedded store when no other process holds it. `npm start` runs it
 * inside the pipeline process instead (the embedded store has one owner).
 */
import { loadClickHouseConfig, openClickHouse } from '@cs/clickhouse';
import { createLogger, gracefulShutdown, startDefaultMetrics } from '@cs/runtime';
import { prepareStorage } from '@cs/storage';
import { loadForecasterConfig } from './config.ts';
import { startForecaster } from './service.ts';

const logger = createLogger('forecaster');
const shutdown = gracefulShutdown(logger);
shutdown.onSignals();
startDefaultMetrics();
await shutdown.startup(async () => {
  const ch = loadClickHouseConfig();
  const client = openClickHouse(ch, { log: logger });
  shutdown.add('clickhouse', () => client.close());
  const config = loadForecasterConfig();
  await prepareStorage(client, { database: ch.database, timeZone: config.timeZone, logger });
  const forecaster = await startForecaster({ client, db: ch.database, config, logger });
  shutdown.add('forecaster', () => forecaster.stop());
});
