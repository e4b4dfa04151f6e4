/**
 * Everything a process that runs the processor sets up, for `services/processor` on its own and
 * for `npm start`: storage migrated, topics present, the read-only SQL endpoint when it owns the
 * embedded store, health/readiness/metrics, and an exit when the processor fails.
 */
import { loadClickHouseConfig, openClickHouse, retryTransient, serveEmbeddedStore, type ClickHouseConfig } from '@cs/clickhouse';
import type { ClickHouseClient } from '@clickhouse/client';
import { createAdmin, type KafkaOptions } from '@cs/kafka';
import { envReader, startServiceHttp, type gracefulShutdown, type Logger, type ServiceHttp } from '@cs/runtime';
import { loadRawRetention, prepareStorage } from '@cs/storage';
import { loadProcessorConfig, type ProcessorConfig } from './config.ts';
import { startProcessor, type RunningProcessor } from './service.ts';
import { untilTheStoreAnswers } from './store-retry.ts';
import { ensureEventTopics } from './topics.ts';

export interface ProcessorService {
  config: ProcessorConfig;
  ch: ClickHouseConfig;
  client: ClickHouseClient;
  /** The SQL endpoint (embedded store only): read-only, plus the writer when CS_WRITER_PASSWORD is set. */
  sqlUrl: string | undefined;
  http: ServiceHttp;
  running: RunningProcessor;
}

export async function runProcessorService(opts: { kafka: KafkaOptions; logger: Logger; shutdown: ReturnType<typeof gracefulShutdown> }): Promise<ProcessorService> {
  const { kafka, logger, shutdown } = opts;
  const env = envReader();
  const config = loadProcessorConfig();
  const ch = loadClickHouseConfig();
  const client = openClickHouse(ch);
  shutdown.add('clickhouse', () => client.close());
  // Started while the store is down (a supervisor restarting it during an outage): wait for it.
  await retryTransient(async () => (await client.query({ query: 'SELECT 1', format: 'JSONEachRow' })).json(), untilTheStoreAnswers(logger, 'connection'));
  await prepareStorage(client, { database: ch.database, timeZone: config.rules.timeZone, logger, rawRetention: loadRawRetention() });

  const admin = createAdmin({ ...kafka, logger });
  await admin.connect();
  try {
    await ensureEventTopics(admin, env.int('KAFKA_PARTITIONS', 4), config.topicPrefix);
  } finally {
    await admin.disconnect();
  }

  let sqlUrl: string | undefined;
  // The embedded engine locks its directory: unless its endpoint lets a writer in, this process writes alone.
  let exclusiveStore = false;
  if (ch.mode === 'embedded') {
    const sql = await serveEmbeddedStore(client, { log: logger });
    sqlUrl = sql.url;
    exclusiveStore = !sql.writable;
    shutdown.add('sql endpoint', () => sql.close());
  }

  // Local state next to the embedded store (one store, one machine), else under .stack/state.
  const running = await startProcessor({ config, kafka, client, db: ch.database, logger, stateDir: ch.mode === 'embedded' ? `${ch.dataDir}-state` : undefined, exclusiveStore });
  shutdown.add('processor', () => running.stop());
  running.stopped.catch((err: Error) => {
    logger.error({ err }, 'processor stopped on an error; exiting so a supervisor restarts it');
    process.stderr.write(`processor stopped: ${err.message}\n`);
    void shutdown.stop('processor error').then(() => process.exit(1));
  });
  const http = await startServiceHttp({ host: config.httpHost, port: config.httpPort, ready: () => running.processor.ready });
  shutdown.add('http', () => http.close());
  logger.info({ groupId: config.groupId, client: kafka.client, topics: config.topics, exclusiveStore }, 'processor running');
  return { config, ch, client, sqlUrl, http, running };
}
