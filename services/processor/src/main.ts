/**
 * The processor as its own process. Against a ClickHouse server many instances share the work by
 * consumer group; in embedded mode this process owns the store and serves the read-only SQL endpoint.
 */
import { loadKafkaConfig } from '@cs/kafka';
import { createLogger, gracefulShutdown, startDefaultMetrics } from '@cs/runtime';
import { runProcessorService } from './run.ts';

const logger = createLogger('processor');
const shutdown = gracefulShutdown(logger);
shutdown.onSignals();
startDefaultMetrics();
await runProcessorService({ kafka: loadKafkaConfig(process.env, 'kafkajs', 'cs-processor'), logger, shutdown });
