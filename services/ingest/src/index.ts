export { loadIngestConfig, type IngestConfig } from './config.ts';
export { startIngest, type RunningIngest } from './service.ts';
