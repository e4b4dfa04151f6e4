/**
 * `npm start`: the whole local stack in one command. Kafka (local KRaft broker), the embedded
 * ClickHouse (or CLICKHOUSE_URL), the processor, the ingest API, the SQL endpoint, the forecaster
 * (unless --no-forecaster) and, unless --no-simulator, a live traffic simulator; then a refreshing
 * summary until Ctrl-C.
 */
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { stackDir } from '@cs/clickhouse';
import { loadIngestConfig, startIngest } from '@cs/ingest';
import { createAdmin, loadKafkaConfig } from '@cs/kafka';
import { runProcessorService } from '@cs/processor';
import { loadForecasterConfig, startForecaster } from '@cs/forecaster';
import { createEventProducer } from '@cs/producer';
import { createLogger, envReader, gracefulShutdown, startDefaultMetrics } from '@cs/runtime';
import { TOPICS } from '@cs/schemas';
import { startLiveSimulator } from '@cs/simulator';
import { localKafka } from './local-kafka.ts';
import { startSummary } from './summary.ts';

const { values: args } = parseArgs({
  options: { 'no-simulator': { type: 'boolean', default: false }, 'no-forecaster': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
});
if (args.help) {
  process.stdout.write(
    'usage: npm start [-- --no-simulator] [--no-forecaster]\n  Starts Kafka, ClickHouse (embedded unless CLICKHOUSE_URL), processor, ingest API, SQL endpoint, forecaster and simulator.\n',
  );
  process.exit(0);
}

const logDir = `${stackDir()}/logs`;
mkdirSync(logDir, { recursive: true });
process.env.LOG_FILE ??= `${logDir}/pipeline.log`;
const logger = createLogger('stack');
const env = envReader();
const shutdown = gracefulShutdown(logger, 60_000);
shutdown.onSignals();
startDefaultMetrics();

// A Ctrl-C while starting waits for the start to finish, then stops everything it started.
await shutdown.startup(async () => {
  const kafka = loadKafkaConfig(process.env, 'kafkajs', 'cs-stack');
  const usesLocalKafka = !process.env.KAFKA_BROKERS;
  if (usesLocalKafka) {
    process.stdout.write('Starting Kafka (first run fetches ~43 MB of jars)…\n');
    const wasRunning = localKafka('status', true);
    if (!localKafka('start')) {
      process.stderr.write('Kafka did not start; see .stack/kafka/logs\n');
      process.exit(1);
    }
    if (!wasRunning && env.bool('STACK_STOP_KAFKA', true)) shutdown.add('kafka', async () => void localKafka('stop', true));
  }

  const admin = createAdmin({ ...kafka, logger });
  await admin.connect();
  shutdown.add('kafka admin', () => admin.disconnect());

  process.stdout.write(`Opening ClickHouse (${process.env.CLICKHOUSE_URL ?? 'embedded'}) and starting the processor…\n`);
  const { config: processorConfig, ch, client, sqlUrl, http: health } = await runProcessorService({ kafka, logger, shutdown });

  const ingest = await startIngest({ config: loadIngestConfig(), kafka, logger });
  shutdown.add('ingest', () => ingest.stop());

  // In the pipeline's process: with the embedded store, only this process may write to it.
  const forecaster = args['no-forecaster'] ? null : await startForecaster({ client, db: ch.database, config: loadForecasterConfig(), logger });
  if (forecaster) shutdown.add('forecaster', () => forecaster.stop());

  if (!args['no-simulator']) {
    const producer = await createEventProducer({ kafka });
    const simulator = startLiveSimulator({ timeZone: processorConfig.rules.timeZone }, producer);
    shutdown.add('simulator', async () => {
      await simulator.stop();
      await producer.close();
    });
  }

  const summary = startSummary({
    client,
    db: ch.database,
    admin,
    groupId: processorConfig.groupId,
    topics: TOPICS.map((t) => processorConfig.topicPrefix + t),
    urls: {
      'ingest API': `http://127.0.0.1:${ingest.http.port}/v1/events/<topic>`,
      'SQL (ClickHouse HTTP)': `${sqlUrl ?? ch.url}  or  npm run sql -- "SELECT …"`,
      'health / metrics': `http://127.0.0.1:${health.port}/readyz  /metrics`,
      ...(forecaster ? { forecaster: `http://127.0.0.1:${forecaster.http.port}/readyz  /metrics  POST /v1/forecast` } : {}),
      'logs': process.env.LOG_FILE ?? '',
    },
  });
  shutdown.add('summary', async () => summary.stop());
});
