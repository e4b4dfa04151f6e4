import { loadKafkaConfig } from '@cs/kafka';
import { createLogger, gracefulShutdown, startDefaultMetrics } from '@cs/runtime';
import { loadIngestConfig } from './config.ts';
import { startIngest } from './service.ts';

const logger = createLogger('ingest');
const shutdown = gracefulShutdown(logger);
shutdown.onSignals();
startDefaultMetrics();
const config = loadIngestConfig();
const ingest = await shutdown.startup(async () => {
  const started = await startIngest({ config, kafka: loadKafkaConfig(process.env, 'kafkajs', 'cs-ingest'), logger });
  shutdown.add('ingest', () => started.stop());
  return started;
});
logger.info({ port: ingest.http.port }, 'ingest API listening');
