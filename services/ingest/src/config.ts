import { envReader } from '@cs/runtime';

export interface IngestConfig {
  host: string;
  port: number;
  /** Larger bodies are refused with 413. */
  maxBodyBytes: number;
  /** Larger batches are refused with 413. */
  maxBatchEvents: number;
  topicPrefix: string;
}

export function loadIngestConfig(env: Record<string, string | undefined> = process.env): IngestConfig {
  const r = envReader(env);
  return {
    host: r.string('INGEST_HOST', '127.0.0.1'),
    port: r.int('INGEST_PORT', 8080),
    maxBodyBytes: r.int('INGEST_MAX_BODY_BYTES', 1_048_576),
    maxBatchEvents: r.int('INGEST_MAX_BATCH_EVENTS', 5_000),
    topicPrefix: r.string('CS_TOPIC_PREFIX', ''),
  };
}
