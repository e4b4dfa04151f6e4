/** Runs a service entry point (TypeScript via tsx) as a child process the test can SIGKILL. */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { readEndpointFile, type ClickHouseConfig } from '@cs/clickhouse';
import { processorEnv, waitFor } from './pipeline.ts';
import { track } from './processes.ts';
import { freshStoreConfig } from './store-backend.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tsx = createRequire(import.meta.url).resolve('tsx');

export interface Child {
  proc: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
}

/** True when `p` (a child's exit) settles within `ms`. */
export const exitedWithin = (p: Promise<unknown>, ms: number) => Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

/**
 * SIGTERM, then a bounded wait: a process that does not exit within a minute fails here, named, with
 * the end of its output, not at the test's timeout. `clean`: it must also exit 0.
 */
export async function stopChild(child: Child, name: string, opts: { clean?: boolean } = {}): Promise<void> {
  child.proc.kill('SIGTERM');
  if (!(await exitedWithin(child.exited, 60_000))) throw new Error(`${name} did not exit within 60000 ms of SIGTERM:\n${child.output().slice(-3000)}`);
  if (opts.clean && child.proc.exitCode !== 0) throw new Error(`${name} did not stop cleanly (exit ${child.proc.exitCode ?? child.proc.signalCode}):\n${child.output().slice(-3000)}`);
}

/**
 * Waits for a child to SIGKILL itself at its PROCESSOR_FAILPOINT (services/processor/src/engine/failpoints.ts
 * logs the line, then kills itself); returns that line. Throws, with the end of its output, when it
 * does not exit within `ms` or exits any other way.
 */
export async function firedFailpoint(child: Child, name: string, ms: number): Promise<string> {
  if (!(await exitedWithin(child.exited, ms))) throw new Error(`${name}: its failpoint never fired within ${ms} ms:\n${child.output().slice(-3000)}`);
  const line = /failpoint .*: SIGKILL/.exec(child.output());
  if (!line || child.proc.signalCode !== 'SIGKILL') throw new Error(`${name} exited without reaching its failpoint:\n${child.output().slice(-3000)}`);
  return line[0];
}

export function startChild(entry: string, env: Record<string, string>): Child {
  const proc = spawn(process.execPath, ['--import', tsx, `${root}/${entry}`], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(proc);
  let out = '';
  const keep = (chunk: Buffer) => {
    out = (out + chunk.toString()).slice(-20_000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, exited, output: () => out };
}

/**
 * The environment of a processor child process: the shared broker, its embedded store in
 * `dir`/chdb and its SQL endpoint written to `dir`/endpoint.json, on free ports.
 */
export function childProcessorEnv(prefix: string, timeZone: string, dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...processorEnv(prefix, timeZone, extra),
    KAFKA_BROKERS: inject('kafkaBrokers').join(','),
    CS_DATA_DIR: join(dir, 'chdb'),
    // Local state in the test's directory also when the store is a server (not under .stack/state).
    CS_STATE_DIR: join(dir, 'state'),
    CS_SQL_ENDPOINT_FILE: join(dir, 'endpoint.json'),
    SQL_PORT: '0',
    PROCESSOR_HTTP_PORT: '0',
  };
}

/**
 * The processor (services/processor/src/main.ts) as a child process a test starts, SIGKILLs and
 * restarts. It owns its embedded store and serves it on its SQL endpoint; with a server backend
 * (backends.ts: container, served) it writes to a ClickHouse server of its own instead.
 */
export class ChildProcessor {
  /** The running (or last) child; undefined before the first start. */
  child: Child | undefined;
  /** The output of each earlier child, in start order. */
  readonly earlierOutputs: string[] = [];
  /** The ClickHouse server the children write to (server backends), made at the first start. */
  private server: ClickHouseConfig | undefined;

  /** `env` as from childProcessorEnv. */
  constructor(private readonly env: Record<string, string>) {}

  /** The embedded store's data directory (CS_DATA_DIR). */
  get dataDir(): string {
    return this.env['CS_DATA_DIR']!;
  }

  /** The store the children write to, for openTestStore: the embedded data directory or the server. */
  get store(): string | ClickHouseConfig {
    return this.server ?? this.dataDir;
  }

  /**
   * Starts a new child and waits for its SQL endpoint; resolves to the endpoint's URL. With a server
   * store, waits until the processor runs and resolves to the server's URL (with its credentials).
   * `extra`: environment for this start only (e.g. a fault test's PROCESSOR_FAILPOINT).
   */
  async start(extra: Record<string, string> = {}): Promise<string> {
    if (this.child) this.earlierOutputs.push(this.child.output());
    await this.ensureStore();
    if (this.server) {
      const child = (this.child = startChild('services/processor/src/main.ts', { ...this.env, ...extra }));
      await waitFor('the processor to run', async () => /"msg":"processor running"/.test(child.output()), 60_000);
      const url = new URL(this.server.url!);
      url.username = this.server.user;
      url.password = this.server.password;
      return url.toString().replace(/\/$/, '');
    }
    const endpointFile = this.env['CS_SQL_ENDPOINT_FILE']!;
    rmSync(endpointFile, { force: true });
    const child = (this.child = startChild('services/processor/src/main.ts', { ...this.env, ...extra }));
    let url: string | undefined;
    await waitFor('the processor SQL endpoint', async () => {
      if (child.proc.exitCode !== null || child.proc.signalCode !== null) throw new Error(`the processor exited while starting:\n${child.output().slice(-3000)}`);
      return (url = readEndpointFile(endpointFile)?.url) !== undefined;
    }, 60_000);
    return url!;
  }

  /** The store the children write to (made now with a server backend), e.g. for a test to prepare it before the first start. */
  async ensureStore(): Promise<string | ClickHouseConfig> {
    if (this.server === undefined && inject('clickhouseBackend').kind !== 'embedded') {
      this.server = await freshStoreConfig(this.env['CS_TIMEZONE'] ?? 'UTC');
      Object.assign(this.env, { CLICKHOUSE_URL: this.server.url!, CLICKHOUSE_USER: this.server.user, CLICKHOUSE_PASSWORD: this.server.password });
    }
    return this.store;
  }

  /** SIGKILLs the child, unless there is none or it has exited, and waits until it has exited. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.proc.exitCode !== null || child.proc.signalCode !== null) return;
    child.proc.kill('SIGKILL');
    await child.exited;
  }

  /** SIGTERMs the child (a clean stop); resolves to its exit code. */
  async stop(): Promise<number | null> {
    this.child!.proc.kill('SIGTERM');
    return this.child!.exited;
  }
}

/** A TCP port free right now on 127.0.0.1 (for a child that must listen where the test can find it). */
export { freePort } from '@cs/runtime';

/** Runs a read-only query over ClickHouse's HTTP interface (a child's SQL endpoint, or a server: credentials in the URL). */
export async function sqlRows<T>(url: string, sql: string): Promise<T[]> {
  const target = new URL(url);
  const headers: Record<string, string> = {};
  if (target.username) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64')}`;
    target.username = target.password = '';
  }
  target.search = 'default_format=JSONEachRow&readonly=1';
  const res = await fetch(target, { method: 'POST', body: sql, headers });
  const text = await res.text();
  if (!res.ok) throw new Error(`${res.status}: ${text}`);
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}
