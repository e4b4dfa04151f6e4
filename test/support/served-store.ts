/**
 * Server mode for multi-process tests: the embedded store served by its own process (`npm run store`)
 * with a password-protected `writer` user, and processor processes that reach it through
 * CLICKHOUSE_URL as they would a ClickHouse server.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { inject } from 'vitest';
import { readEndpointFile } from '@cs/clickhouse';
import { startChild, type Child } from './child.ts';
import { processorEnv, waitFor } from './pipeline.ts';

export interface ServedStore {
  child: Child;
  /** The store's HTTP interface (no credentials in it). */
  url: string;
  password: string;
  /** CLICKHOUSE_URL / CLICKHOUSE_USER / CLICKHOUSE_PASSWORD for a process writing through it. */
  server: { CLICKHOUSE_URL: string; CLICKHOUSE_USER: string; CLICKHOUSE_PASSWORD: string };
  /** The URL with the writer's credentials (for sqlRows). */
  writerUrl: string;
}

/** Starts `npm run store` on `dir`/chdb and waits for its endpoint. */
export async function startServedStore(dir: string): Promise<ServedStore> {
  const password = randomBytes(16).toString('hex');
  const endpointFile = join(dir, 'endpoint.json');
  const child = startChild('services/stack/src/store.ts', {
    CS_DATA_DIR: join(dir, 'chdb'),
    CS_SQL_ENDPOINT_FILE: endpointFile,
    SQL_PORT: '0',
    STORE_HTTP_PORT: '0',
    CS_WRITER_PASSWORD: password,
    UV_THREADPOOL_SIZE: '16',
  });
  let url: string | undefined;
  await waitFor('the store endpoint', async () => {
    if (child.proc.exitCode !== null) throw new Error(`npm run store exited:\n${child.output()}`);
    return (url = readEndpointFile(endpointFile)?.url) !== undefined;
  }, 60_000);
  const writer = new URL(url!);
  writer.username = 'writer';
  writer.password = password;
  return { child, url: url!, password, server: { CLICKHOUSE_URL: url!, CLICKHOUSE_USER: 'writer', CLICKHOUSE_PASSWORD: password }, writerUrl: writer.toString().replace(/\/$/, '') };
}

/**
 * The environment of a processor process writing through `clickhouseUrl` (the store, or a proxy in
 * front of it) with the store's writer credentials; local state in `dir`/state (one slot per process).
 */
export function serverProcessorEnv(store: ServedStore, prefix: string, timeZone: string, dir: string, extra: Record<string, string> = {}, clickhouseUrl = store.url): Record<string, string> {
  return {
    ...processorEnv(prefix, timeZone),
    ...store.server,
    CLICKHOUSE_URL: clickhouseUrl,
    KAFKA_BROKERS: inject('kafkaBrokers').join(','),
    CS_STATE_DIR: join(dir, 'state'),
    PROCESSOR_HTTP_PORT: '0',
    ...extra,
  };
}
