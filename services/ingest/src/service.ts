import { createProducer, type KafkaOptions } from '@cs/kafka';
import { startServiceHttp, type Logger, type ServiceHttp } from '@cs/runtime';
import type { IngestConfig } from './config.ts';
import { ingestHandler } from './handler.ts';

export interface RunningIngest {
  http: ServiceHttp;
  stop(): Promise<void>;
}

/** Starts the ingest API (with /healthz, /readyz, /metrics) on its own idempotent producer. */
export async function startIngest(opts: { config: IngestConfig; kafka: KafkaOptions; logger: Logger }): Promise<RunningIngest> {
  const producer = createProducer({ ...opts.kafka, logger: opts.logger });
  await producer.connect();
  const handler = ingestHandler(producer, opts.config, opts.logger);
  const http = await startServiceHttp({
    host: opts.config.host,
    port: opts.config.port,
    ready: () => true,
    routes: { 'POST /v1/events': handler, 'POST /v1/events/*': handler },
  });
  return {
    http,
    async stop() {
      // Stop taking requests first; in-flight ones finish and are acknowledged before the producer closes.
      await http.close();
      await producer.disconnect();
    },
  };
}
