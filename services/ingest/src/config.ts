import { loadPseudonymizer, type Pseudonymizer } from '@cs/producer';
import { envReader } from '@cs/runtime';
import { loadApiKeys, type ApiKeyEntry } from './api-keys.ts';

export interface IngestConfig {
  host: string;
  port: number;
  /** Larger bodies are refused with 413. */
  maxBodyBytes: number;
  /** Larger batches are refused with 413. */
  maxBatchEvents: number;
  topicPrefix: string;
  /** API keys; when empty the event routes are open (see README: ingest security). */
  apiKeys: ApiKeyEntry[];
  /** Requests per `rateWindowMs` per API key (per client address when open); 0 = no limit. */
  rateLimit: number;
  rateWindowMs: number;
  /** user_id → keyed pseudonym (CS_PSEUDONYMIZE_KEY), the SDK's function. */
  pseudonymize: Pseudonymizer | undefined;
  /** How often /readyz's broker probe runs, and how long one may take. */
  readinessIntervalMs: number;
  readinessTimeoutMs: number;
}

export function loadIngestConfig(env: Record<string, string | undefined> = process.env): IngestConfig {
  const r = envReader(env);
  return {
    host: r.string('INGEST_HOST', '127.0.0.1'),
    port: r.int('INGEST_PORT', 8080),
    maxBodyBytes: r.int('INGEST_MAX_BODY_BYTES', 1_048_576),
    maxBatchEvents: r.int('INGEST_MAX_BATCH_EVENTS', 5_000),
    topicPrefix: r.string('CS_TOPIC_PREFIX', ''),
    apiKeys: loadApiKeys(env),
    rateLimit: r.int('INGEST_RATE_LIMIT', 100),
    rateWindowMs: r.duration('INGEST_RATE_WINDOW', '1s'),
    pseudonymize: loadPseudonymizer(env),
    readinessIntervalMs: r.duration('INGEST_READINESS_INTERVAL', '5s'),
    readinessTimeoutMs: r.duration('INGEST_READINESS_TIMEOUT', '3s'),
  };
}
