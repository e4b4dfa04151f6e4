/**
 * One end-to-end measurement in its own process (chdb binds one data directory per process):
 * a fresh embedded store in a temp dir, the real processor (`startProcessor`) with one Kafka
 * client and its own consumer group, over topics that already hold the events.
 *
 *   node --import tsx bench/e2e-worker.ts --client kafkajs --prefix P --group G --events N --started S
 *        [--time-zone Z] [--timeout-ms 150000] [--brokers host:port]
 *
 * Timed from just before startProcessor (connect, group join, partition restore included) until
 * (a) the cs_processor_events_total counter of this process reached N (every event stepped) and
 * (b) sum(numerator) of metric 'contacts' at day grain in cs.metrics equals S and cs.raw_sessions
 * holds every accepted event (every flush written). Afterwards (untimed for the rate) it waits for the idle flush to close every contact.
 * Progress goes to stderr; the result goes to the parent over IPC (or stdout as JSON when run by hand).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { KafkaClientKind } from '@cs/kafka';
import { startProcessor, type RunningProcessor } from '@cs/processor';
import { createLogger } from '@cs/runtime';
import { tablesIn } from '@cs/storage';
import { benchProcessorConfig, insertTotals, startUsageMeter, openBenchStore, sumsBy, total } from './support.ts';

export interface E2eResult {
  client: KafkaClientKind;
  events: number;
  started: number;
  /** Events stepped (counter) when measuring ended. */
  processed: number;
  byResult: Record<string, number>;
  timedOut: boolean;
  /** Store open + migrations (not in the rate). */
  storeMs: number;
  /** startProcessor() resolved (connected, joined, assignment restored). */
  startMs: number;
  /** First event stepped. */
  firstEventMs: number;
  /** Counter reached `events`. */
  steppedMs: number;
  /** contacts in cs.metrics == started and every accepted event in cs.raw_sessions: the headline figure. */
  visibleMs: number;
  /** cs.contacts holds a row for every contact (the 2 s idle flush closes the last ones); -1 if not reached within 15 s more. */
  closedMs: number;
  /** events / visibleMs. */
  rate: number;
  /** Rate between 10 % and 90 % of the events stepped (no start-up, no tail). */
  steadyRate: number;
  /** Process CPU (user + system, all threads incl. chdb and librdkafka) over the timed interval, % of one core. */
  cpuPct: number;
  peakRssMB: number;
  peakHeapMB: number;
  /** Flushes by kind (batch, idle) when the timed interval ended. */
  flushes: Record<string, number>;
  /** Main-thread event-loop utilisation over the timed interval (1 = never idle). */
  elu: number;
  /** Main-thread GC pauses over the timed interval. */
  gcMs: number;
  /** insertRows calls per table: count and summed duration (concurrent inserts overlap). */
  inserts: Record<string, { count: number; seconds: number }>;
  settings: { flushMaxMessages: number; flushIntervalMs: number; idleFlushMs: number; snapshotEvery: number; topics: number };
}

const { values: args } = parseArgs({
  options: {
    client: { type: 'string' },
    prefix: { type: 'string' },
    group: { type: 'string' },
    events: { type: 'string' },
    started: { type: 'string' },
    'time-zone': { type: 'string', default: 'UTC' },
    'timeout-ms': { type: 'string', default: '150000' },
    brokers: { type: 'string', default: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092' },
  },
});
const client = args.client as KafkaClientKind;
const prefix = args.prefix!;
const group = args.group ?? `${prefix}bench-${client}`;
const events = Number(args.events);
const started = Number(args.started);
const timeZone = args['time-zone']!;
const timeoutMs = Number(args['timeout-ms']);
if (!client || !prefix || !(events > 0) || !(started > 0)) throw new Error('usage: e2e-worker --client C --prefix P --events N --started S');

const progress = (line: string) => process.stderr.write(`  [${client}] ${line}\n`);
const logger = createLogger('bench-processor', process.env.LOG_LEVEL ?? 'warn');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


let peakRss = 0;
let peakHeap = 0;
const sampleMemory = () => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
};
const memTimer = setInterval(sampleMemory, 100);

const dataDir = mkdtempSync(join(tmpdir(), `cs-bench-${client}-`));
const tStore = performance.now();
const ch = await openBenchStore(dataDir, timeZone);
const storeMs = performance.now() - tStore;

const config = benchProcessorConfig(prefix, timeZone, group, { CS_IDLE_FLUSH: '2s' });

const cs = tablesIn('cs');
/** The number `n` of the query's first row (0 without one). */
const scalar = async (query: string) => {
  const [row] = await (await ch.query({ query, format: 'JSONEachRow' })).json<{ n: number | string | null }>();
  return Number(row?.n ?? 0);
};
const contactsCounted = () => scalar(`SELECT sum(numerator) AS n FROM ${cs.metrics} WHERE grain = 'day' AND metric = 'contacts'`);
const rawCount = () => scalar(`SELECT count() AS n FROM ${cs.rawSessions}`);
const contactsClosed = () => scalar(`SELECT count() AS n FROM ${cs.contacts}`);

const usage = startUsageMeter();
const t0 = performance.now();
const since = () => performance.now() - t0;
const deadline = t0 + timeoutMs;
let running: RunningProcessor | undefined;
let firstEventMs = -1;
let steppedMs = -1;
let visibleMs = -1;
let closedMs = -1;
let t10 = -1;
let t90 = -1;
let processed = 0;
let failure: Error | undefined;

try {
  running = await startProcessor({ config, kafka: { brokers: args.brokers!.split(','), clientId: group, client, logger }, client: ch, db: 'cs', logger, stateDir: `${dataDir}-state`, exclusiveStore: true });
  running.stopped.catch((err: Error) => (failure = err));
  const startMs = since();
  progress(`store ready in ${Math.round(storeMs)} ms, processor started in ${Math.round(startMs)} ms`);
  let lastReport = performance.now();
  // (a) every event stepped, watched in-process on the Prometheus counter.
  while (performance.now() < deadline && !failure) {
    processed = total(await sumsBy('cs_processor_events_total', 'result'));
    const now = since();
    if (processed > 0 && firstEventMs < 0) firstEventMs = now;
    if (processed >= events * 0.1 && t10 < 0) t10 = now;
    if (processed >= events * 0.9 && t90 < 0) t90 = now;
    if (processed >= events) {
      steppedMs = now;
      break;
    }
    if (performance.now() - lastReport >= 5000) {
      lastReport = performance.now();
      progress(`${processed.toLocaleString('en-US')} / ${events.toLocaleString('en-US')} events after ${(now / 1000).toFixed(1)} s, rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MB`);
    }
    await sleep(25);
  }
  // (b) every flush written: the contacts figure is complete and every accepted event is in its raw
  // table (a flush inserts its tables in parallel; raw_sessions, the largest, tends to land last).
  const accepted = (await sumsBy('cs_processor_events_total', 'result')).ok ?? 0;
  while (steppedMs >= 0 && performance.now() < deadline && !failure) {
    if ((await contactsCounted()) >= started && (await rawCount()) >= accepted) {
      visibleMs = since();
      break;
    }
    await sleep(50);
  }
  const { cpuMs, elu, gcMs } = usage.stop();
  const flushes = await sumsBy('cs_processor_flushes_total', 'kind');
  const inserts: E2eResult['inserts'] = Object.fromEntries(Object.entries(await insertTotals()).map(([table, v]) => [table, { count: v.calls, seconds: v.seconds }]));
  const cpuPct = visibleMs > 0 ? (cpuMs / visibleMs) * 100 : -1;
  sampleMemory();
  // Not part of the rate: the idle flush (2 s) closes the contacts still open at the end.
  const closeDeadline = performance.now() + 15_000;
  while (visibleMs >= 0 && performance.now() < closeDeadline && !failure) {
    if ((await contactsClosed()) >= started) {
      closedMs = since();
      break;
    }
    await sleep(250);
  }
  if (failure) throw failure;
  const timedOut = visibleMs < 0;
  if (timedOut) progress(`TIMED OUT after ${Math.round(timeoutMs / 1000)} s with ${processed} / ${events} events stepped`);
  else progress(`all ${events.toLocaleString('en-US')} events processed and visible in ${(visibleMs / 1000).toFixed(2)} s; contacts closed at ${closedMs < 0 ? 'n/a' : `${(closedMs / 1000).toFixed(2)} s`}`);
  const elapsed = timedOut ? since() : visibleMs;
  const result: E2eResult = {
    client,
    events,
    started,
    processed,
    byResult: await sumsBy('cs_processor_events_total', 'result'),
    timedOut,
    storeMs,
    startMs,
    firstEventMs,
    steppedMs,
    visibleMs,
    closedMs,
    rate: Math.round((timedOut ? processed : events) / (elapsed / 1000)),
    steadyRate: t10 >= 0 && t90 > t10 ? Math.round((events * 0.8) / ((t90 - t10) / 1000)) : -1,
    cpuPct,
    peakRssMB: Math.round(Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / 2 ** 20),
    peakHeapMB: Math.round(peakHeap / 2 ** 20),
    flushes,
    elu,
    gcMs,
    inserts,
    settings: { flushMaxMessages: config.flushMaxMessages, flushIntervalMs: config.flushIntervalMs, idleFlushMs: config.rules.idleFlushMs, snapshotEvery: config.snapshotEvery, topics: config.topics.length },
  };
  await running.stop();
  running = undefined;
  await ch.close();
  clearInterval(memTimer);
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(`${dataDir}-state`, { recursive: true, force: true });
  if (process.send) await new Promise<void>((resolve) => process.send!(result, undefined, undefined, () => resolve()));
  else console.log(JSON.stringify(result));
  process.exit(0);
} catch (err) {
  progress(`failed: ${(err as Error).stack ?? String(err)}`);
  await running?.stop().catch(() => undefined);
  await ch.close().catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(`${dataDir}-state`, { recursive: true, force: true });
  process.exit(1);
}
