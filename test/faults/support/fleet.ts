/**
 * Several processor processes in one consumer group sharing one served store (`npm run store`,
 * reached through CLICKHOUSE_URL, or through a fault proxy in front of it), fed by `npm run replay`:
 * the multi-process fault scenarios (rebalance churn, a zombie, ClickHouse faults).
 */
import { execFile } from 'node:child_process';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { loadClickHouseConfig } from '@cs/clickhouse';
import { TZ, type TopicEvent } from '../../correctness/event-set.ts';
import { exitedWithin, freePort, sqlRows, startChild, stopChild, type Child } from '../../support/child.ts';
import { createTopics, openTestStore, uniquePrefix, waitFor } from '../../support/pipeline.ts';
import { serverProcessorEnv, startServedStore, type ServedStore } from '../../support/served-store.ts';
import type { Reader } from './oracle.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const tsx = createRequire(import.meta.url).resolve('tsx');

const IDLE_FLUSH_S = 30;
/**
 * The fleet scenarios' processors: small flushes keep many in flight when a fault or a rebalance
 * strikes; a long idle period keeps the pauses between replay parts from closing windows on the wall
 * clock, so they close only once everything is replayed.
 */
export const FLEET_ENV = { PROCESSOR_FLUSH_MAX_MESSAGES: '50', PROCESSOR_FLUSH_INTERVAL: '200ms', CS_IDLE_FLUSH: `${IDLE_FLUSH_S}s` };
/** A control's verdict (settledVerdict) waits this long without a new flush: past the idle flush that closes the last windows. */
export const SETTLE_PAST_IDLE = { quietMs: IDLE_FLUSH_S * 1000 + 10_000 };

/** The processor's log line after each rebalance: the partitions it now owns. */
const ASSIGNED = /"assigned":\[([^\]]*)\],"msg":"partitions assigned"/;

export interface Member {
  name: string;
  child: Child;
  /** Its /metrics port. */
  port: number;
  /** The partitions of each rebalance, in order (read from its log as it runs). */
  assigned: string[][];
  /** How often each log message was written (its whole log: `child.output()` keeps only the tail). */
  said: Map<string, number>;
}

const MSG = /"msg":"([^"]*)"/;

/** Follows a member's log (stderr, pino) line by line: records each assignment and counts each message. */
function follow(member: Member, logFile?: string): void {
  let partial = '';
  member.child.proc.stderr!.on('data', (chunk: Buffer) => {
    if (logFile) appendFileSync(logFile, chunk);
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      const m = ASSIGNED.exec(line);
      if (m) member.assigned.push([...m[1]!.matchAll(/"([^"]+)"/g)].map((x) => x[1]!));
      const msg = MSG.exec(line)?.[1];
      if (msg) member.said.set(msg, (member.said.get(msg) ?? 0) + 1);
    }
  });
}

/** Writes `events` to `file` as a JSONL export and publishes it with `npm run replay` (exit 0: every event acknowledged). */
export function replayEvents(events: TopicEvent[], file: string, env: { KAFKA_BROKERS: string; CS_TOPIC_PREFIX: string }): Promise<{ code: number; output: string }> {
  writeFileSync(file, `${events.map((e) => JSON.stringify({ topic: e.topic, ...e.event })).join('\n')}\n`);
  return new Promise((resolve) =>
    execFile(process.execPath, ['--import', tsx, join(root, 'services/replay/src/main.ts'), file], { cwd: root, env: { ...process.env, ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    ),
  );
}

/** `xs` cut in consecutive parts of the given shares (the last takes the rest). */
export function parts<T>(xs: T[], shares: number[]): T[][] {
  const out: T[][] = [];
  let at = 0;
  shares.forEach((share, i) => {
    const end = i === shares.length - 1 ? xs.length : at + Math.round(xs.length * share);
    out.push(xs.slice(at, end));
    at = end;
  });
  return out;
}

export class Fleet {
  readonly members: Member[] = [];
  readonly read: Reader;
  private constructor(
    readonly prefix: string,
    readonly dir: string,
    readonly store: ServedStore,
    private readonly env: Record<string, string>,
  ) {
    this.read = (sql) => sqlRows(store.writerUrl, sql);
  }

  /** A served store, migrated, and fresh topics of `partitions` partitions. */
  static async start(name: string, opts: { partitions?: number; env?: Record<string, string> } = {}): Promise<Fleet> {
    const prefix = uniquePrefix(name);
    await createTopics(prefix, opts.partitions ?? 3);
    const dir = mkdtempSync(join(tmpdir(), `cs-fleet-${name}-`));
    const store = await startServedStore(dir);
    // The migrations, once, before any processor (as compose's one-shot does).
    const migrated = await openTestStore(TZ, loadClickHouseConfig({ ...store.server, CS_TIMEZONE: TZ, CS_DATABASE: 'cs' }));
    await migrated.client.close();
    return new Fleet(prefix, dir, store, opts.env ?? {});
  }

  get groupId(): string {
    return `${this.prefix}processor`;
  }

  /** Starts one more processor process (CLICKHOUSE_URL: the store, or `clickhouseUrl`, e.g. a proxy). */
  async add(name: string, extra: Record<string, string> = {}, clickhouseUrl?: string): Promise<Member> {
    const port = await freePort();
    const child = startChild('services/processor/src/main.ts', serverProcessorEnv(this.store, this.prefix, TZ, this.dir, { ...this.env, ...extra, PROCESSOR_HTTP_PORT: String(port) }, clickhouseUrl));
    const member: Member = { name, child, port, assigned: [], said: new Map() };
    // FAULT_LOG_DIR: every member's whole log in a file there, to debug a scenario.
    follow(member, process.env.FAULT_LOG_DIR ? join(process.env.FAULT_LOG_DIR, `${this.prefix}${name}.log`) : undefined);
    this.members.push(member);
    return member;
  }

  /** The partitions a member was given by its last rebalance (from @cs/kafka's assignment log line). */
  assignment(m: Member): string[] {
    return m.assigned[m.assigned.length - 1] ?? [];
  }

  /** How many assignments a member has logged so far. */
  assignments(m: Member): number {
    return m.assigned.length;
  }

  /** How often a member logged `msg`. */
  said(m: Member, msg: string): number {
    return m.said.get(msg) ?? 0;
  }

  /** Events a member counted (cs_processor_events_total), 0 while it does not answer. */
  processed(m: Member): Promise<number> {
    return this.metricSum(m, 'cs_processor_events_total');
  }

  /** Messages a member holds buffered, not yet flushed (cs_processor_buffered_messages). */
  buffered(m: Member): Promise<number> {
    return this.metricSum(m, 'cs_processor_buffered_messages');
  }

  /** A metric of a member summed over its labels, 0 while it does not answer. */
  private async metricSum(m: Member, metric: string): Promise<number> {
    try {
      const text = await (await fetch(`http://127.0.0.1:${m.port}/metrics`)).text();
      return [...text.matchAll(new RegExp(`^${metric}\\{[^}]*\\} (\\d+(?:\\.\\d+)?)$`, 'gm'))].reduce((sum, x) => sum + Number(x[1]), 0);
    } catch {
      return 0;
    }
  }

  /** Waits until every member in `live` has an assignment logged after `since` (assignment counts). */
  async settledGroup(live: Member[], since: Map<Member, number>, timeoutMs = 120_000): Promise<void> {
    await waitFor(`${live.map((m) => m.name).join(', ')} to be (re)assigned`, async () => live.every((m) => this.assignments(m) > (since.get(m) ?? 0) && this.assignment(m).length > 0), timeoutMs, 250);
  }

  /** SIGTERM: a clean stop; throws unless it exits 0 within a minute. */
  async stop(m: Member): Promise<void> {
    await stopChild(m.child, m.name, { clean: true });
  }

  /** Publishes events with `npm run replay` (a JSONL export), as an operator would. */
  async replay(events: TopicEvent[]): Promise<void> {
    const result = await replayEvents(events, join(this.dir, `replay-${Date.now()}.jsonl`), { KAFKA_BROKERS: inject('kafkaBrokers').join(','), CS_TOPIC_PREFIX: this.prefix });
    if (result.code !== 0) throw new Error(`npm run replay failed (${result.code}):\n${result.output.slice(-2000)}`);
  }

  /** Every member's output, for a failure message. */
  outputs(): string {
    return this.members.map((m) => `--- ${m.name} ---\n${m.child.output().slice(-2500)}`).join('\n');
  }

  /** Kills what is still running (continued first, in case a test left it stopped), then stops the store. */
  async close(): Promise<void> {
    for (const m of this.members) {
      if (m.child.proc.exitCode === null && m.child.proc.signalCode === null) {
        m.child.proc.kill('SIGCONT');
        m.child.proc.kill('SIGKILL');
      }
    }
    this.store.child.proc.kill('SIGTERM');
    if (!(await exitedWithin(this.store.child.exited, 30_000))) this.store.child.proc.kill('SIGKILL');
  }
}
