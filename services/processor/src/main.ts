/**
 * The processor as its own process. Against a ClickHouse server many instances share the work by
 * consumer group; in embedded mode this process owns the store and serves the read-only SQL endpoint.
 */
import { loadKafkaConfig } from '@cs/kafka';
import { createLogger, gracefulShutdown, startDefaultMetrics } from '@cs/runtime';
import { runProcessorService } from './run.ts';

const logger = createLogger('processor');
// Under compose's 45 s grace period; room for a start that waits out a crashed member's session.
const shutdown = gracefulShutdown(logger, 40_000);
shutdown.onSignals();
startDefaultMetrics();
await shutdown.startup(() => runProcessorService({ kafka: loadKafkaConfig(process.env, 'kafkajs', 'cs-processor'), logger, shutdown }));
