// Who may use the SQL endpoint of the embedded store, and how much a reader's query may take.
//
// Users, as on a ClickHouse server (deploy/clickhouse/users.d, deploy/clickhouse/grants):
//   writer   the pipeline's processes in server mode (CLICKHOUSE_URL at this endpoint): DDL and inserts
//   analyst  read-only SQL
//   grafana  read-only SQL (the dashboards' data source)
// Each exists when its password is set. Without CS_ANALYST_PASSWORD, requests without credentials
// (ClickHouse's `default` user with no password) are the analyst: the local, loopback-only default.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ConfigError, envReader } from '@cs/runtime';
import { clientSideError } from './readonly-query.ts';

export type SqlRole = 'writer' | 'reader';

/** The endpoint's users, the variable holding each one's password, and its role. */
export const SQL_USERS = [
  { user: 'writer', passwordVar: 'CS_WRITER_PASSWORD', role: 'writer' },
  { user: 'analyst', passwordVar: 'CS_ANALYST_PASSWORD', role: 'reader' },
  { user: 'grafana', passwordVar: 'CS_GRAFANA_PASSWORD', role: 'reader' },
] as const satisfies readonly { user: string; passwordVar: string; role: SqlRole }[];

export interface SqlAccount {
  user: string;
  role: SqlRole;
}

/** Caps on every reader query (a reader may lower them per query, never raise or lift them). */
export interface ReaderLimits {
  /** max_execution_time, seconds. */
  maxExecutionTime: number;
  /** max_memory_usage, bytes. */
  maxMemoryUsage: number;
  /** max_threads: CPU a reader query may take from the pipeline it shares the box with. */
  maxThreads: number;
  /** max_result_bytes (embedded results are held in memory). */
  maxResultBytes: number;
}

export interface SqlAccess {
  /** Users with a password, as sha256 digests (compared in constant time). */
  accounts: (SqlAccount & { passwordSha256: Buffer })[];
  /** Requests without credentials act as the analyst (only when the analyst has no password). */
  anonymousReader: boolean;
  limits: ReaderLimits;
}

/** The reader limits as ClickHouse settings, by setting name. */
export function limitSettings(limits: ReaderLimits): Record<string, number> {
  return {
    max_execution_time: limits.maxExecutionTime,
    max_memory_usage: limits.maxMemoryUsage,
    max_threads: limits.maxThreads,
    max_result_bytes: limits.maxResultBytes,
  };
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * - `CS_WRITER_PASSWORD`, `CS_ANALYST_PASSWORD`, `CS_GRAFANA_PASSWORD`: the users (see above)
 * - `CS_SQL_MAX_EXECUTION_TIME` (60s), `CS_SQL_MAX_MEMORY_USAGE` (2000000000 bytes),
 *   `CS_SQL_MAX_THREADS` (1), `CS_SQL_MAX_RESULT_BYTES` (536870912): caps on reader queries
 */
export function loadSqlAccess(env: Record<string, string | undefined> = process.env): SqlAccess {
  const r = envReader(env);
  const accounts: SqlAccess['accounts'] = [];
  for (const { user, passwordVar, role } of SQL_USERS) {
    const password = env[passwordVar];
    if (password === undefined || password === '') continue;
    if (password.length < 8) throw new ConfigError(`${passwordVar} must be at least 8 characters`);
    accounts.push({ user, role, passwordSha256: sha256(password) });
  }
  const positive = (name: string, fallback: number) => {
    const v = r.int(name, fallback);
    if (v <= 0) throw new ConfigError(`${name} must be a positive integer, got ${v}`);
    return v;
  };
  const seconds = r.duration('CS_SQL_MAX_EXECUTION_TIME', '60s') / 1000;
  if (seconds <= 0) throw new ConfigError('CS_SQL_MAX_EXECUTION_TIME must be positive');
  return {
    accounts,
    anonymousReader: !accounts.some((a) => a.user === 'analyst'),
    limits: {
      maxExecutionTime: seconds,
      maxMemoryUsage: positive('CS_SQL_MAX_MEMORY_USAGE', 2_000_000_000),
      maxThreads: positive('CS_SQL_MAX_THREADS', 1),
      maxResultBytes: positive('CS_SQL_MAX_RESULT_BYTES', 512 * 1024 * 1024),
    },
  };
}

export interface Credentials {
  user: string;
  password: string;
}

/** Credentials as ClickHouse's HTTP interface takes them: basic auth, X-ClickHouse-User/Key, or user/password parameters. */
export function requestCredentials(req: IncomingMessage, url: URL): Credentials | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && /^basic /i.test(auth)) {
    const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon === -1 ? { user: decoded, password: '' } : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined);
  const user = header('x-clickhouse-user') ?? url.searchParams.get('user') ?? undefined;
  const password = header('x-clickhouse-key') ?? url.searchParams.get('password') ?? undefined;
  if (user === undefined && password === undefined) return undefined;
  return { user: user ?? 'default', password: password ?? '' };
}

/** The account these credentials log in as; ClickHouse's AUTHENTICATION_FAILED (516) otherwise. */
export function authenticate(access: SqlAccess, credentials: Credentials | undefined): SqlAccount {
  const user = credentials?.user || 'default';
  const password = credentials?.password ?? '';
  if (access.anonymousReader && password === '' && (user === 'default' || user === 'analyst')) return { user: 'analyst', role: 'reader' };
  const digest = sha256(password);
  // Every account is compared, so the time taken does not tell which users exist.
  let found: SqlAccount | undefined;
  for (const account of access.accounts) {
    if (timingSafeEqual(account.passwordSha256, digest) && account.user === user) found = { user: account.user, role: account.role };
  }
  if (found) return found;
  throw clientSideError(516, 'AUTHENTICATION_FAILED', `${user}: Authentication failed: password is incorrect, or there is no user with such name`);
}
