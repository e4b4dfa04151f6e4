import type { TestProject } from 'vitest/node';
import { ensureKafka } from './kafka.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string[];
  }
}

/** Starts (or reuses) the real broker once for all integration test files. */
export default async function setup(project: TestProject): Promise<void> {
  const kafka = await ensureKafka();
  project.provide('kafkaBrokers', kafka.brokers);
}
