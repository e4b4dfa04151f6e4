/**
 * `npm start`: the whole local stack in one command. Kafka (local KRaft broker), the embedded
 * ClickHouse (or CLICKHOUSE_URL), the processor, the ingest API, the read-only SQL endpoint and,
 * unless --no-simulator, a live traffic simulator; then a refreshing summary until Ctrl-C.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadClickHouseConfig, openClickHouse, removeEndpointFile, startSqlEndpoint, writeEndpointFile } from '@cs/clickhouse';
import { loadIngestConfig, startIngest } from '@cs/ingest';
import { createAdmin, loadKafkaConfig } from '@cs/kafka';
import { ensureEventTopics, loadProcessorConfig, prepareStorage, startProcessor } from '@cs/processor';
import { createEventProducer } from '@cs/producer';
import { createLogger, envReader, gracefulShutdown, startDefaultMetrics, startServiceHttp } from '@cs/runtime';
import { TOPICS } from '@cs/schemas';
import { startLiveSimulator } from '@cs/simulator';
import { localKafka } from './local-kafka.ts';
import { startSummary } from './summary.ts';

const { values: args } = parseArgs({ options: { 'no-simulator': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } } });
if (args.help) {
  process.stdout.write('usage: npm start [-- --no-simulator]\n  Starts Kafka, ClickHouse (embedded unless CLICKHOUSE_URL), processor, ingest API, SQL endpoint and simulator.\n');
  process.exit(0);
}

const stackDir = fileURLToPath(new URL('../../../.stack', import.meta.url));
mkdirSync(`${stackDir}/logs`, { recursive: true });
process.env.LOG_FILE ??= `${stackDir}/logs/pipeline.log`;
const logger = createLogger('stack');
const env = envReader();
const shutdown = gracefulShutdown(logger, 60_000);
shutdown.onSignals();
startDefaultMetrics();

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
await ensureEventTopics(admin, env.int('KAFKA_PARTITIONS', 4), process.env.CS_TOPIC_PREFIX ?? '');

const ch = loadClickHouseConfig();
process.stdout.write(`Opening ClickHouse (${ch.mode === 'embedded' ? `embedded, ${ch.dataDir}` : ch.url})…\n`);
const client = openClickHouse(ch);
shutdown.add('clickhouse', () => client.close());
const processorConfig = loadProcessorConfig();
await prepareStorage(client, { database: ch.database, timeZone: processorConfig.rules.timeZone, logger });

const sql = await startSqlEndpoint(client, { port: env.int('SQL_PORT', 8124), database: ch.database });
writeEndpointFile({ url: `http://127.0.0.1:${sql.port}`, dataDir: ch.dataDir, database: ch.database }, process.env.CS_SQL_ENDPOINT_FILE || undefined);
shutdown.add('sql endpoint', async () => {
  removeEndpointFile(process.env.CS_SQL_ENDPOINT_FILE || undefined);
  await sql.close();
});

const processor = await startProcessor({ config: processorConfig, kafka: { ...kafka, client: (process.env.KAFKA_CLIENT as 'kafkajs' | 'rdkafka' | undefined) ?? 'kafkajs' }, client, db: ch.database, logger });
shutdown.add('processor', () => processor.stop());
processor.stopped.catch((err: Error) => {
  logger.error({ err }, 'processor stopped on an error');
  process.stderr.write(`processor stopped: ${err.message}\n`);
  void shutdown.stop('processor error').then(() => process.exit(1));
});
const health = await startServiceHttp({ host: processorConfig.httpHost, port: processorConfig.httpPort, ready: () => processor.processor.ready });
shutdown.add('health', () => health.close());

const ingest = await startIngest({ config: loadIngestConfig(), kafka, logger });
shutdown.add('ingest', () => ingest.stop());

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
    'SQL (read-only)': `http://127.0.0.1:${sql.port}  or  npm run sql -- "SELECT …"`,
    'health / metrics': `http://127.0.0.1:${health.port}/readyz  /metrics`,
    'logs': process.env.LOG_FILE ?? '',
  },
});
shutdown.add('summary', async () => summary.stop());
