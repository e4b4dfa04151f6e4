export { loadIngestConfig, type IngestConfig } from './config.ts';
export { startIngest, type RunningIngest } from './service.ts';
export { BrokerReadiness } from './readiness.ts';
export { newApiKey, hashApiKey, parseApiKeys, loadApiKeys, type ApiKeyEntry } from './api-keys.ts';
