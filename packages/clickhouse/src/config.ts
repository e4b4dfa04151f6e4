// Typed ClickHouse settings from the environment (SPEC §2, §7).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, envReader } from '@cs/runtime';

type Env = Record<string, string | undefined>;

export interface ClickHouseConfig {
  /** `server` when CLICKHOUSE_URL is set, else the embedded engine (chdb) on `dataDir`. */
  mode: 'embedded' | 'server';
  /** CLICKHOUSE_URL (server mode only). */
  url: string | undefined;
  user: string;
  password: string;
  /** CS_DATABASE: the analyst-facing database (default `cs`). */
  database: string;
  /** CS_DATA_DIR: absolute path of the embedded store (default `<repo>/.stack/chdb`). */
  dataDir: string;
  /** CS_TIMEZONE: IANA zone for buckets (default UTC). */
  timeZone: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The monorepo root: the nearest ancestor of this file whose package.json declares workspaces. */
export function repoRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { workspaces?: unknown }).workspaces) return dir;
      } catch {
        // unreadable package.json: keep walking up
      }
    }
    if (dirname(dir) === dir) throw new Error(`cannot find the repository root (a package.json with "workspaces") above ${from}`);
  }
}

/** `<repo>/.stack`: local state of the one-command stack (embedded store, endpoint file). */
export function stackDir(): string {
  return join(repoRoot(), '.stack');
}

export function loadClickHouseConfig(env: Env = process.env): ClickHouseConfig {
  const r = envReader(env);
  const url = r.optional('CLICKHOUSE_URL');
  if (url !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError(`CLICKHOUSE_URL must be an http(s) URL such as http://localhost:8123, got "${url}"`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new ConfigError(`CLICKHOUSE_URL must use http or https, got "${url}"`);
    }
  }
  const database = r.string('CS_DATABASE', 'cs');
  if (!IDENTIFIER.test(database)) throw new ConfigError(`CS_DATABASE must be a plain identifier ([A-Za-z_][A-Za-z0-9_]*), got "${database}"`);
  return {
    mode: url === undefined ? 'embedded' : 'server',
    url,
    user: r.string('CLICKHOUSE_USER', 'default'),
    password: r.string('CLICKHOUSE_PASSWORD', ''),
    database,
    dataDir: resolve(r.optional('CS_DATA_DIR') ?? join(stackDir(), 'chdb')),
    timeZone: r.timeZone('CS_TIMEZONE', 'UTC'),
  };
}
