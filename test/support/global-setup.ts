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

/** Chooses the backends (logged), starts Kafka once for all integration test files. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const docker = needsDockerProbe(process.env) ? await probeDocker() : { available: false, detail: 'not probed' };
  const choice = chooseBackends(process.env, docker);
  console.info(choice.summary);
  const kafka = await startKafka(choice.kafka);
  project.provide('kafkaBrokers', kafka.brokers);
  project.provide('kafkaSecure', kafka.secure);
  project.provide('clickhouseBackend', choice.clickhouse);
  return () => kafka.stop();
}
