/** Building blocks for integration tests: isolated topics, a fresh embedded store, a processor. */
import { rmSync } from 'node:fs';
import { inject } from 'vitest';
import { loadClickHouseConfig, openClickHouse, type ClickHouseClient, type ClickHouseConfig } from '@cs/clickhouse';
import { createAdmin, createProducer, type KafkaClientKind, type KafkaOptions, type PartitionLag } from '@cs/kafka';
import { ensureEventTopics, loadProcessorConfig, startProcessor, type RunningProcessor } from '@cs/processor';
import { createLogger } from '@cs/runtime';
import { TOPICS } from '@cs/schemas';
import { prepareStorage, tablesIn, type QualifiedTables } from '@cs/storage';
import { freshStoreConfig } from './store-backend.ts';

export const logger = createLogger('test', process.env.LOG_LEVEL ?? 'warn');

export function kafkaOptions(client: KafkaClientKind = 'kafkajs', clientId = 'cs-test'): KafkaOptions {
  return { brokers: inject('kafkaBrokers'), clientId, client, logger };
}

/** A unique topic prefix, so each test has its own topics on the shared broker. */
export function uniquePrefix(name: string): string {
  return `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.${name}.`;
}

/** The group's committed offset, high watermark and lag per partition of the event topics of `prefix`. */
export async function groupOffsets(prefix: string, groupId: string, kafka: KafkaOptions = kafkaOptions('kafkajs', 'test-lag')): Promise<PartitionLag[]> {
  const admin = createAdmin(kafka);
  await admin.connect();
  try {
    return await admin.lag(groupId, TOPICS.map((t) => prefix + t));
  } finally {
    await admin.disconnect();
  }
}

/** Unconsumed messages of the group on the event topics of `prefix` (committed offset to log end). */
export async function groupLag(prefix: string, groupId: string, kafka?: KafkaOptions): Promise<number> {
  return (await groupOffsets(prefix, groupId, kafka)).reduce((sum, p) => sum + p.lag, 0);
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
  /** The embedded store's directory (an unused temp directory when the store is a server). */
  dataDir: string;
  config: ClickHouseConfig;
}

/**
 * A migrated store: a fresh one (store-backend.ts), the embedded store in `at` (a data directory),
 * or the store `at` describes (e.g. the one a child processor wrote to: ChildProcessor.store).
 */
export async function openTestStore(timeZone: string, at?: string | ClickHouseConfig, db = 'cs'): Promise<TestStore> {
  const config =
    at === undefined ? await freshStoreConfig(timeZone, db) : typeof at === 'string' ? loadClickHouseConfig({ CS_DATA_DIR: at, CS_DATABASE: db, CS_TIMEZONE: timeZone }) : at;
  const client = openClickHouse(config);
  await prepareStorage(client, { database: config.database, timeZone });
  return { client, db: config.database, tables: tablesIn(config.database), dataDir: config.dataDir, config };
}

/** Opens a store another process wrote (e.g. a stopped child processor's), runs `use` on it and closes it, keeping its data. */
export async function withTestStore<T>(timeZone: string, at: string | ClickHouseConfig, use: (store: TestStore) => Promise<T>): Promise<T> {
  const store = await openTestStore(timeZone, at);
  try {
    return await use(store);
  } finally {
    await store.client.close();
  }
}

/** Closes a test store and deletes its directory (nothing when it was never opened). */
export async function removeTestStore(store: TestStore | undefined): Promise<void> {
  if (!store) return;
  await store.client.close();
  rmSync(store.dataDir, { recursive: true, force: true });
  rmSync(`${store.dataDir}-state`, { recursive: true, force: true });
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

/** A query's columns (name, ClickHouse type) and rows, as a data source plugin receives them. */
export async function queryTable(client: ClickHouseClient, sql: string): Promise<{ columns: { name: string; type: string }[]; rows: unknown[][] }> {
  const json = (await (await client.query({ query: sql, format: 'JSONCompact' })).json()) as unknown as { meta: { name: string; type: string }[]; data: unknown[][] };
  return { columns: json.meta, rows: json.data };
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
