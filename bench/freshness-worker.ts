/**
 * The pipeline under the freshness probe, in its own process as `npm start` runs it: the
 * processor (with its embedded store and read-only SQL endpoint) and the ingest API, configured
 * from the environment the parent sets (CS_DATA_DIR, CS_TOPIC_PREFIX, PROCESSOR_GROUP_ID, ports).
 * Prints one JSON line with its URLs once ready; stops on SIGTERM.
 */
import { loadIngestConfig, startIngest } from '@cs/ingest';
import { loadKafkaConfig } from '@cs/kafka';
import { runProcessorService } from '@cs/processor';
import { createLogger, gracefulShutdown } from '@cs/runtime';

export interface FreshnessWorkerReady {
  ingestUrl: string;
  sqlUrl: string;
  metricsUrl: string;
}

const logger = createLogger('bench-freshness');
const shutdown = gracefulShutdown(logger, 30_000);
shutdown.onSignals();
await shutdown.startup(async () => {
  const kafka = loadKafkaConfig(process.env, 'kafkajs', 'cs-bench-freshness');
  const { sqlUrl, http } = await runProcessorService({ kafka, logger, shutdown });
  const ingest = await startIngest({ config: loadIngestConfig(), kafka, logger });
  shutdown.add('ingest', () => ingest.stop());
  const ready: FreshnessWorkerReady = { ingestUrl: `http://127.0.0.1:${ingest.http.port}`, sqlUrl: sqlUrl!, metricsUrl: `http://127.0.0.1:${http.port}/metrics` };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
});
