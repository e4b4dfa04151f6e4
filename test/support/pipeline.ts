/** Building blocks for integration tests: isolated topics, a fresh embedded store, a processor. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { openClickHouse, type ClickHouseClient } from '@cs/clickhouse';
import { createAdmin, createProducer, type KafkaClientKind, type KafkaOptions } from '@cs/kafka';
import { ensureEventTopics, loadProcessorConfig, startProcessor, type RunningProcessor } from '@cs/processor';
import { createLogger } from '@cs/runtime';
import { prepareStorage, tablesIn, type QualifiedTables } from '@cs/storage';

export const logger = createLogger('test', process.env.LOG_LEVEL ?? 'warn');

export function kafkaOptions(client: KafkaClientKind = 'kafkajs', clientId = 'cs-test'): KafkaOptions {
  return { brokers: inject('kafkaBrokers'), clientId, client, logger };
}

/** A unique topic prefix, so each test has its own topics on the shared broker. */
export function uniquePrefix(name: string): string {
  return `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.${name}.`;
}

export async function createTopics(prefix: string, partitions = 3): Promise<void> {
  const admin = createAdmin(kafkaOptions());
  await admin.connect();
  try {
    await ensureEventTopics(admin, partitions, prefix);
  } finally {
    await admin.disconnect();
  }
}

export interface TestStore {
  client: ClickHouseClient;
  db: string;
  /** The tables of `db`, qualified for SQL. */
  tables: QualifiedTables;
  dataDir: string;
}

/** A fresh embedded ClickHouse in a temp directory, migrated. */
export async function openTestStore(timeZone: string, dataDir = mkdtempSync(join(tmpdir(), 'cs-chdb-')), db = 'cs'): Promise<TestStore> {
  const client = openClickHouse({ mode: 'embedded', url: undefined, user: 'default', password: '', database: db, dataDir, timeZone });
  await prepareStorage(client, { database: db, timeZone });
  return { client, db, tables: tablesIn(db), dataDir };
}

export function processorEnv(prefix: string, timeZone: string, extra: Record<string, string> = {}): Record<string, string> {
  return { CS_TOPIC_PREFIX: prefix, CS_TIMEZONE: timeZone, PROCESSOR_GROUP_ID: `${prefix}processor`, CS_IDLE_FLUSH: '2s', PROCESSOR_FLUSH_INTERVAL: '300ms', PROCESSOR_SESSION_TIMEOUT: '6s', ...extra };
}

export async function startTestProcessor(store: TestStore, prefix: string, timeZone: string, client: KafkaClientKind, extra: Record<string, string> = {}): Promise<RunningProcessor> {
  const config = loadProcessorConfig(processorEnv(prefix, timeZone, extra));
  return startProcessor({ config, kafka: kafkaOptions(client, `${prefix}processor`), client: store.client, db: store.db, logger, stateDir: `${store.dataDir}-state` });
}

/** Sends raw bytes to a topic (e.g. a malformed message). */
export async function produceRaw(topic: string, key: string, value: Buffer): Promise<void> {
  const producer = createProducer(kafkaOptions());
  await producer.connect();
  try {
    await producer.send([{ topic, key, value }]);
  } finally {
    await producer.disconnect();
  }
}

export async function query<T>(client: ClickHouseClient, sql: string): Promise<T[]> {
  return (await client.query({ query: sql, format: 'JSONEachRow' })).json<T>();
}

/** Polls `probe` until it returns true, or fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000, everyMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
