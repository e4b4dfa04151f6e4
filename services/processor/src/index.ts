export { StreamProcessor } from './engine/processor.ts';
export { loadProcessorConfig, type ProcessorConfig } from './config.ts';
export { Buckets } from './buckets.ts';
export { contactOf } from './logic/contact.ts';
export { startProcessor, type RunningProcessor } from './service.ts';
export { ensureEventTopics, DEAD_LETTER_TOPIC } from './topics.ts';
export { runProcessorService, type ProcessorService } from './run.ts';
