import type { AddressInfo } from 'node:net';
import { createAdmin, createProducer, type KafkaOptions } from '@cs/kafka';
import type { Logger, ServiceHttp } from '@cs/runtime';
import { TOPICS } from '@cs/schemas';
import type { IngestConfig } from './config.ts';
import { BrokerReadiness } from './readiness.ts';
import { buildIngestServer } from './server.ts';

export interface RunningIngest {
  http: ServiceHttp;
  readiness: BrokerReadiness;
  stop(): Promise<void>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/**
 * Starts the ingest API (with /healthz, /readyz, /metrics, /openapi.json) on its own idempotent
 * producer. It listens at once; the producer connects in the background and /readyz follows the broker.
 */
export async function startIngest(opts: { config: IngestConfig; kafka: KafkaOptions; logger: Logger }): Promise<RunningIngest> {
  const { config, logger } = opts;
  const producer = createProducer({ ...opts.kafka, logger });
  const admin = createAdmin({ ...opts.kafka, clientId: `${opts.kafka.clientId}-readiness`, logger });
  const readiness = new BrokerReadiness({ producer, admin, probeTopic: config.topicPrefix + TOPICS[0], intervalMs: config.readinessIntervalMs, timeoutMs: config.readinessTimeoutMs, log: logger });
  readiness.start();
  const app = await buildIngestServer({ config, producer, readiness, logger });
  await app.listen({ host: config.host, port: config.port });
  if (config.apiKeys.length === 0 && !LOOPBACK.test(config.host)) {
    logger.warn({ host: config.host }, `INGEST API IS OPEN: no API keys configured (CS_INGEST_API_KEYS / CS_INGEST_API_KEYS_FILE) and listening on ${config.host}; anyone who reaches it can send events`);
  }
  logger.info({ apiKeys: config.apiKeys.map((k) => k.name), pseudonymize: config.pseudonymize !== undefined, rateLimit: config.rateLimit }, 'ingest API configured');
  return {
    http: { server: app.server, port: (app.server.address() as AddressInfo).port, close: () => app.close() },
    readiness,
    async stop() {
      // Stop taking requests first; in-flight ones finish and are acknowledged before the producer closes.
      await app.close();
      await readiness.stop();
      await producer.disconnect();
      await admin.disconnect();
    },
  };
}
