import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { stackDir } from '@cs/clickhouse';
import { createAdmin, createConsumer, createProducer, type KafkaOptions } from '@cs/kafka';
import type { Logger } from '@cs/runtime';
import type { ProcessorConfig } from './config.ts';
import { startDeadLetterSink } from './dead-letter-sink.ts';
import { StreamProcessor } from './engine/processor.ts';

export interface RunningProcessor {
  processor: StreamProcessor;
  /** Rejects if the consumer stopped on an error. */
  stopped: Promise<void>;
  /** `flush: false` drops buffered work as a crash would (for tests and fast shutdown). */
  stop(opts?: { flush?: boolean }): Promise<void>;
}

/** Wires a StreamProcessor to Kafka (consumer + dead-letter producer) and ClickHouse, and starts it. */
/**
 * `stateDir`: where the local state goes unless CS_STATE_DIR says otherwise (default .stack/state;
 * next to the embedded store when the caller passes it).
 */
export async function startProcessor(opts: { config: ProcessorConfig; kafka: KafkaOptions; client: ClickHouseClient; db: string; logger: Logger; stateDir?: string; exclusiveStore?: boolean }): Promise<RunningProcessor> {
  const { config, kafka, client, db, logger } = opts;
  const stateDir = config.stateDir ?? opts.stateDir ?? join(stackDir(), 'state');
  // Partitions are independent tasks: a long batch of one must not hold up the others (freshness).
  const consumer = createConsumer(
    { ...kafka, logger },
    { groupId: config.groupId, topics: config.topics.map((t) => config.topicPrefix + t), fromBeginning: true, sessionTimeoutMs: config.sessionTimeoutMs, partitionsConcurrently: 4 },
  );
  const deadLetterProducer = createProducer({ ...kafka, clientId: `${kafka.clientId}-dlq`, logger });
  await deadLetterProducer.connect();
  const admin = createAdmin({ ...kafka, clientId: `${kafka.clientId}-admin`, logger });
  await admin.connect();
  const processor = new StreamProcessor({ config, consumer, admin, deadLetterProducer, client, db, logger, stateDir, exclusiveStore: opts.exclusiveStore });
  await processor.start();
  const sink = await startDeadLetterSink({ kafka, topic: config.topicPrefix + config.deadLetterTopic, groupId: `${config.groupId}-dead-letters`, sessionTimeoutMs: config.sessionTimeoutMs, client, db, logger });
  return {
    processor,
    // After a failed flush the processor stops its consumer itself: that end is the failure (it rejects
    // once the processor has stopped), not a clean stop, so the process exits for its supervisor.
    stopped: Promise.race([consumer.stopped().then(() => (processor.ready ? undefined : processor.failed)), processor.failed, sink.stopped]),
    async stop(stopOpts) {
      await processor.stop(stopOpts);
      await sink.stop();
      await deadLetterProducer.disconnect();
      await admin.disconnect();
    },
  };
}
