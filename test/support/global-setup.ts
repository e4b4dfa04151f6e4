import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { chooseBackends, needsDockerProbe, probeDocker, type ClickHouseBackend } from './backends.ts';
import { startKafka, type SecureListeners } from './kafka.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string[];
    /** The local broker's SCRAM listeners (null when Kafka is not the local broker). */
    kafkaSecure: SecureListeners | null;
    /** Where test stores live: the embedded engine, or a ClickHouse container per store. */
    clickhouseBackend: ClickHouseBackend;
  }
}

/**
 * Every temporary directory the test files and their child processes make (stores of hundreds of MB,
 * processor state) goes under one directory per run, removed when the run ends: the workers inherit
 * TMPDIR. Set after the broker started, which outlives the run. Once per run (each project calls it).
 */
function runTmpDir(): () => void {
  if (process.env.CS_TEST_RUN_TMPDIR) return () => {};
  const dir = mkdtempSync(join(tmpdir(), 'cs-test-run-'));
  process.env.CS_TEST_RUN_TMPDIR = dir;
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}

/** Chooses the backends (logged), starts Kafka once for all integration test files. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const docker = needsDockerProbe(process.env) ? await probeDocker() : { available: false, detail: 'not probed' };
  const choice = chooseBackends(process.env, docker);
  console.info(choice.summary);
  const kafka = await startKafka(choice.kafka);
  project.provide('kafkaBrokers', kafka.brokers);
  project.provide('kafkaSecure', kafka.secure);
  project.provide('clickhouseBackend', choice.clickhouse);
  const removeTmp = runTmpDir();
  return async () => {
    await kafka.stop();
    removeTmp();
  };
}
