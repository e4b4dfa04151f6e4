/**
 * A fresh ClickHouse for one test store, from the backend chosen in backends.ts:
 * - `embedded`: the embedded engine in a new temp directory (opened by the test process itself);
 * - `container`: a new ClickHouse server container (@testcontainers/clickhouse), removed when the test
 *   process exits;
 * - `served`: the embedded engine in its own process (`npm run store`), reached over HTTP as the
 *   `writer` user — the server code path of every test, on a machine without Docker.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { loadClickHouseConfig, readEndpointFile, type ClickHouseConfig } from '@cs/clickhouse';
import { track } from './processes.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tsx = createRequire(import.meta.url).resolve('tsx');

export async function freshStoreConfig(timeZone: string, db = 'cs'): Promise<ClickHouseConfig> {
  const backend = inject('clickhouseBackend');
  const dataDir = mkdtempSync(join(tmpdir(), 'cs-chdb-'));
  const base = { CS_DATA_DIR: dataDir, CS_DATABASE: db, CS_TIMEZONE: timeZone };
  if (backend.kind === 'embedded') return loadClickHouseConfig(base);
  const password = randomBytes(12).toString('hex');
  if (backend.kind === 'container') {
    const { ClickHouseContainer } = await import('@testcontainers/clickhouse');
    const server = await new ClickHouseContainer(backend.image).withUsername('cs_test').withPassword(password).start();
    return loadClickHouseConfig({ ...base, CLICKHOUSE_URL: server.getHttpUrl(), CLICKHOUSE_USER: 'cs_test', CLICKHOUSE_PASSWORD: password });
  }
  return loadClickHouseConfig({ ...base, CLICKHOUSE_URL: await serveStore(dataDir, password), CLICKHOUSE_USER: 'writer', CLICKHOUSE_PASSWORD: password });
}

/** Starts `npm run store` on `dataDir` (killed when the test file is done); resolves to its URL. */
async function serveStore(dataDir: string, writerPassword: string): Promise<string> {
  const endpointFile = join(dataDir, 'endpoint.json');
  const env = { ...process.env, CLICKHOUSE_URL: '', CS_DATA_DIR: join(dataDir, 'chdb'), CS_SQL_ENDPOINT_FILE: endpointFile, SQL_PORT: '0', STORE_HTTP_PORT: '0', CS_WRITER_PASSWORD: writerPassword, UV_THREADPOOL_SIZE: '16' };
  const proc = spawn(process.execPath, ['--import', tsx, join(root, 'services/stack/src/store.ts')], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-4000)));
  track(proc);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const url = readEndpointFile(endpointFile)?.url;
    if (url) return url;
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`npm run store did not serve ${dataDir}:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
