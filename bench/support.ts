/**
 * What the benchmarks share: the broker (started when down, throwaway topics deleted), the
 * machine description of a BENCHMARKS.md entry, Markdown tables, number formatting, Prometheus
 * readings of a worker's own registry, and child processes that report over IPC.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { PerformanceObserver, performance as perf } from 'node:perf_hooks';
import { release } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openClickHouse, type ClickHouseClient } from '@cs/clickhouse';
import { createAdmin } from '@cs/kafka';
import { ensureEventTopics, loadProcessorConfig, type ProcessorConfig } from '@cs/processor';
import { prepareStorage } from '@cs/storage';
import { registry } from '@cs/runtime';

export const root = fileURLToPath(new URL('..', import.meta.url));

export const log = (line: string) => process.stderr.write(`${line}\n`);
export const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
export const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
export const ratio = (a: number, b: number) => (b > 0 && a > 0 ? `${(a / b).toFixed(2)}×` : 'n/a');
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const MiB = 2 ** 20;

/**
 * This process's resident memory split as Linux counts it: anonymous (JS heap, the embedded engine's
 * and lmdb's allocations) and file-backed (mapped pages of the engine's 540 MB library and of lmdb's
 * file, which the kernel can drop). Undefined where /proc is not there.
 */
export function residentParts(): { anon: number; file: number } | undefined {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    const parts = { anon: kib('RssAnon'), file: kib('RssFile') };
    return Number.isFinite(parts.anon) && Number.isFinite(parts.file) ? parts : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Broker

/** KAFKA_BROKERS, else the local broker on KAFKA_PORT (the port deploy/kafka/kafka.sh starts it on). */
export function benchBrokers(env: NodeJS.ProcessEnv = process.env): string[] {
  const listed = env.KAFKA_BROKERS?.trim();
  return (listed || `127.0.0.1:${env.KAFKA_PORT?.trim() || '9092'}`).split(',').map((b) => b.trim());
}

function tcpOpen(hostPort: string): Promise<boolean> {
  const i = hostPort.lastIndexOf(':');
  return new Promise((resolve) => {
    const s = connect({ host: hostPort.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(hostPort.slice(i + 1)) });
    s.setTimeout(2000);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('timeout', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(false));
  });
}

/** Starts the local broker (deploy/kafka/kafka.sh, on KAFKA_PORT) unless `brokers` answer or KAFKA_BROKERS names a remote one. */
export async function ensureBroker(brokers: string[]): Promise<void> {
  if (await tcpOpen(brokers[0]!)) return;
  if (process.env.KAFKA_BROKERS?.trim()) throw new Error(`Kafka broker ${brokers[0]} (KAFKA_BROKERS) does not answer`);
  log(`broker ${brokers[0]} is down; starting the local one (deploy/kafka/kafka.sh start)`);
  execFileSync('bash', [join(root, 'deploy/kafka/kafka.sh'), 'start'], { stdio: ['ignore', 2, 2], timeout: 240_000 });
}

/** Best effort: bench topics are throwaway (kafkajs directly: the @cs/kafka Admin has no delete). `keep` leaves them. */
export async function deleteTopics(brokers: string[], topics: string[], keep = false): Promise<void> {
  if (!topics.length || keep) return;
  try {
    const { Kafka, logLevel } = (await import('kafkajs')).default;
    const admin = new Kafka({ brokers, clientId: 'cs-bench-cleanup', logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics, timeout: 15_000 });
    } finally {
      await admin.disconnect();
    }
    log(`deleted ${topics.length} bench topics`);
  } catch (err) {
    log(`could not delete the bench topics (${(err as Error).message}); they stay on the broker`);
  }
}

/** Creates the event topics (and dead-letter topic) under `prefix`, `partitions` partitions each. */
export async function createBenchTopics(brokers: string[], partitions: number, prefix: string): Promise<void> {
  const admin = createAdmin({ brokers, clientId: 'cs-bench-admin', client: 'kafkajs' });
  await admin.connect();
  try {
    await ensureEventTopics(admin, partitions, prefix);
  } finally {
    await admin.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// Store and processor

/**
 * The embedded store in `dataDir` (database cs), migrated unless `migrate` is false. The calling worker
 * alone writes it: its processor runs with `exclusiveStore`, as npm start's does.
 */
export async function openBenchStore(dataDir: string, timeZone: string, migrate = true): Promise<ClickHouseClient> {
  const ch = openClickHouse({ mode: 'embedded', url: undefined, user: 'default', password: '', database: 'cs', dataDir, timeZone });
  if (migrate) await prepareStorage(ch, { database: 'cs', timeZone });
  return ch;
}

/** The processor's configuration from the environment, on one topic prefix, zone and group (plus `overrides`). */
export function benchProcessorConfig(prefix: string, timeZone: string, group: string, overrides: Record<string, string> = {}): ProcessorConfig {
  return loadProcessorConfig({ ...process.env, CS_TOPIC_PREFIX: prefix, CS_TIMEZONE: timeZone, PROCESSOR_GROUP_ID: group, ...overrides });
}

// ---------------------------------------------------------------------------------------------
// Report

export interface Machine {
  nproc: string;
  memGiB: string;
  cpu: string;
  node: string;
  kernel: string;
  commit: string;
  threadpool: string;
}

export function machine(): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const meminfo = readFileSync('/proc/meminfo', 'utf8');
  const memKb = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0);
  let nproc = '?';
  try {
    nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
  } catch {
    /* not on this system */
  }
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'services', 'packages', 'schemas', 'deploy/clickhouse'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (dirty) commit += ' + uncommitted changes';
  } catch {
    /* not a checkout */
  }
  return {
    nproc,
    memGiB: (memKb / 2 ** 20).toFixed(1),
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown',
    node: process.version,
    kernel: release(),
    commit,
    threadpool: process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
  };
}

/** A Markdown table: first column left-aligned, the others right-aligned. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 1)}-` : `-${'-'.repeat(w)}:`)).join('|')}|`;
  return [line(rows[0]!), sep, ...rows.slice(1).map(line)].join('\n');
}

/** Appends an entry to BENCHMARKS.md (created with its header if missing). */
export function appendBenchmarkEntry(entry: string): string {
  const file = join(root, 'BENCHMARKS.md');
  if (!existsSync(file)) {
    writeFileSync(file, '# Benchmarks\n\nEntries appended by `npm run bench` (bench/run.ts) and `npm run bench:seed` (bench/seed.ts); newest last. Compare ratios across machines, not absolute figures.\n');
  }
  writeFileSync(file, entry, { flag: 'a' });
  return file;
}

/** Process CPU (user + system, all threads), main-thread event-loop utilisation and GC pauses, from now on. */
export function startUsageMeter() {
  let gcMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMs += e.duration;
  });
  observer.observe({ entryTypes: ['gc'] });
  const elu0 = perf.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const cpuMs = () => {
    const c = process.cpuUsage(cpu0);
    return (c.user + c.system) / 1000;
  };
  return {
    cpuMs,
    /** The readings so far; GC pauses stop being counted. */
    stop: () => {
      observer.disconnect();
      return { cpuMs: cpuMs(), elu: perf.eventLoopUtilization(elu0).utilization, gcMs };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// This process's Prometheus registry (a worker reads the processor's metrics in-process)

export interface MetricValue {
  labels: Record<string, string | number | undefined>;
  value: number;
  /** For histograms: `<name>_bucket`, `_sum` or `_count`. */
  metricName?: string;
}

/** Every value of a metric (empty if nothing registered it). */
export async function metricValues(name: string): Promise<MetricValue[]> {
  const metric = registry.getSingleMetric(name);
  return metric ? ((await metric.get()).values as MetricValue[]) : [];
}

/** A counter's or gauge's values summed by one label. */
export async function sumsBy(name: string, label: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of await metricValues(name)) {
    const k = String(v.labels[label] ?? '');
    out[k] = (out[k] ?? 0) + v.value;
  }
  return out;
}

export const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

/**
 * A histogram summed over its label sets: the finite buckets (cumulative counts) and the total count.
 * The +Inf bucket is `count`; it is not a bucket here because Infinity does not survive JSON (the
 * IPC from the worker), where it became null and was read as a bound of 0.
 */
export interface HistogramSnapshot {
  buckets: { le: number; count: number }[];
  count: number;
  sum: number;
}

export async function histogramSnapshot(name: string): Promise<HistogramSnapshot> {
  const byLe = new Map<number, number>();
  let count = 0;
  let sum = 0;
  for (const v of await metricValues(name)) {
    const metricName = v.metricName ?? '';
    if (metricName.endsWith('_bucket')) {
      const le = Number(v.labels.le);
      if (Number.isFinite(le)) byLe.set(le, (byLe.get(le) ?? 0) + v.value);
    } else if (metricName.endsWith('_count')) count += v.value;
    else if (metricName.endsWith('_sum')) sum += v.value;
  }
  return { buckets: [...byLe].sort((a, b) => a[0] - b[0]).map(([le, c]) => ({ le, count: c })), count, sum };
}

/** Count and summed seconds of a histogram per value of one label (e.g. cs_processor_flush_phase_seconds by phase). */
export async function histogramTotalsBy(name: string, label: string): Promise<Record<string, { count: number; seconds: number }>> {
  const out: Record<string, { count: number; seconds: number }> = {};
  for (const v of await metricValues(name)) {
    const metricName = v.metricName ?? '';
    const entry = (out[String(v.labels[label])] ??= { count: 0, seconds: 0 });
    if (metricName.endsWith('_sum')) entry.seconds += v.value;
    else if (metricName.endsWith('_count')) entry.count += v.value;
  }
  return out;
}

/** Per-table insert calls, summed seconds and rows of this process's insertRows calls. */
export async function insertTotals(): Promise<Record<string, { calls: number; seconds: number; rows: number }>> {
  const out: Record<string, { calls: number; seconds: number; rows: number }> = {};
  const entry = (table: string) => (out[table.replace(/^[^.]+\./, '')] ??= { calls: 0, seconds: 0, rows: 0 });
  for (const [table, { count, seconds }] of Object.entries(await histogramTotalsBy('cs_clickhouse_insert_duration_seconds', 'table'))) {
    entry(table).calls += count;
    entry(table).seconds += seconds;
  }
  for (const [table, rows] of Object.entries(await sumsBy('cs_clickhouse_inserted_rows_total', 'table'))) entry(table).rows += rows;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Child processes

export interface Child<M> {
  child: ChildProcess;
  /** Wall time (performance.now() of this process) at spawn. */
  spawnedAt: number;
  /** Resolves with the exit code, or the signal that ended it. */
  exited: Promise<number | NodeJS.Signals>;
  /** Sends a message over IPC (ignored once the child is gone). */
  send(message: unknown): void;
  /** Registers a handler for the child's IPC messages. */
  onMessage(handler: (message: M) => void): void;
}

/**
 * Runs `node --import tsx <script> ...args` with an IPC channel. Each line of the child's stderr
 * goes to `onLine` (pino JSON lines parsed: `json` is set), then to our stderr unless `onLine` returns false.
 */
export function spawnWorker<M>(script: string, args: string[], opts: { env?: NodeJS.ProcessEnv; onLine?: (line: string, json: Record<string, unknown> | undefined) => boolean | void }): Child<M> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, script), ...args], { cwd: root, stdio: ['ignore', 'inherit', 'pipe', 'ipc'], env: opts.env ?? process.env });
  const spawnedAt = performance.now();
  let rest = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop()!;
    for (const line of lines) {
      let json: Record<string, unknown> | undefined;
      if (line.startsWith('{')) {
        try {
          json = JSON.parse(line) as Record<string, unknown>;
        } catch {
          /* not JSON after all */
        }
      }
      if (opts.onLine?.(line, json) !== false) process.stderr.write(`${line}\n`);
    }
  });
  const exited = new Promise<number | NodeJS.Signals>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code ?? 0)));
  return {
    child,
    spawnedAt,
    exited,
    send: (message) => {
      if (child.connected) child.send(message as object);
    },
    onMessage: (handler) => child.on('message', (m) => handler(m as M)),
  };
}

/** Sends a worker's result to its parent and waits until it went out (stdout JSON when run by hand). */
export async function report(message: unknown): Promise<void> {
  if (process.send) await new Promise<void>((resolve) => process.send!(message, undefined, undefined, () => resolve()));
  else console.log(JSON.stringify(message));
}
