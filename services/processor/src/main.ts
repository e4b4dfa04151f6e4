/**
 * The processor as its own process. Against a ClickHouse server many instances share the work by
 * consumer group; in embedded mode this process owns the store and serves the read-only SQL endpoint.
 */
import { loadClickHouseConfig, openClickHouse, startSqlEndpoint, writeEndpointFile } from '@cs/clickhouse';
import { createAdmin, loadKafkaConfig } from '@cs/kafka';
import { createLogger, envReader, gracefulShutdown, startDefaultMetrics, startServiceHttp } from '@cs/runtime';
import { loadProcessorConfig } from './config.ts';
import { startProcessor } from './service.ts';
import { prepareStorage } from './storage.ts';
import { ensureEventTopics } from './topics.ts';

const logger = createLogger('processor');
const config = loadProcessorConfig();
const kafka = loadKafkaConfig(process.env, 'kafkajs', 'cs-processor');
const ch = loadClickHouseConfig();
const shutdown = gracefulShutdown(logger);
shutdown.onSignals();
startDefaultMetrics();

const client = openClickHouse(ch);
shutdown.add('clickhouse', () => client.close());
await prepareStorage(client, { database: ch.database, timeZone: config.rules.timeZone, logger });

const admin = createAdmin({ ...kafka, logger });
await admin.connect();
await ensureEventTopics(admin, envReader().int('KAFKA_PARTITIONS', 4), config.topicPrefix);
await admin.disconnect();

if (ch.mode === 'embedded') {
  const sql = await startSqlEndpoint(client, { port: envReader().int('SQL_PORT', 8124), database: ch.database });
  writeEndpointFile({ url: `http://127.0.0.1:${sql.port}`, dataDir: ch.dataDir, database: ch.database }, process.env.CS_SQL_ENDPOINT_FILE || undefined);
  shutdown.add('sql endpoint', () => sql.close());
  logger.info({ port: sql.port }, 'read-only SQL endpoint listening');
}

let ready = false;
const http = await startServiceHttp({ host: config.httpHost, port: config.httpPort, ready: () => ready });
shutdown.add('http', () => http.close());
const running = await startProcessor({ config, kafka, client, db: ch.database, logger });
shutdown.add('processor', () => running.stop());
ready = true;
logger.info({ groupId: config.groupId, client: kafka.client, topics: config.topics }, 'processor running');
running.stopped.catch((err: Error) => {
  logger.error({ err }, 'consumer stopped on an error; exiting so a supervisor restarts us');
  void shutdown.stop('consumer error').then(() => process.exit(1));
});
