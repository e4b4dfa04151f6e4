/**
 * The processor under `npm run bench:seed`, in its own process (chdb binds one data directory per
 * process): the real `startProcessor` on an embedded store in `--data-dir`, with one Kafka client and
 * consumer group. Three modes, one per phase of bench/seed.ts:
 *
 *   process  fresh store; runs over the backlog until every event is stepped and visible (each raw
 *            table holds its accepted events, cs.metrics counts every contact). Reports rate, deciles,
 *            memory, CPU, flush latencies, dead letters, then keeps running until the parent SIGKILLs it.
 *   restore  the same store and group after that SIGKILL, with a short CS_IDLE_FLUSH so the close of
 *            the day's windows starts at once; reports its first flush and when every figure of the
 *            day is final (cs.settled), then stops gracefully.
 *   live     the same store and group under live traffic the parent sends; samples consumer lag and
 *            memory every 5 s until the parent says stop.
 *
 *   node --import tsx bench/seed-worker.ts --mode M --client C --prefix P --group G --data-dir D
 *        --day-start MS --day-end MS [--events N --contacts N] [--time-zone Z] [--idle-flush 2s]
 *        [--timeout-ms N] [--brokers host:port]
 *
 * Progress goes to stderr (with the processor's pino lines, which the parent reads for
 * 'partition restored'); results go to the parent over IPC.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import type { KafkaClientKind } from '@cs/kafka';
import { startProcessor, type RunningProcessor } from '@cs/processor';
import { createLogger } from '@cs/runtime';
import { decileMarks, type ProgressStep } from './seed-stats.ts';
import { benchProcessorConfig, fmt, startUsageMeter, histogramSnapshot, histogramTotalsBy, insertTotals, metricValues, MiB, openBenchStore, report, residentParts, sleep, sumsBy, total } from './support.ts';

export interface MemorySample {
  /** ms since the worker's t0. */
  t: number;
  rss: number;
  /** RSS split (Linux): anonymous and file-backed bytes. */
  rssAnon?: number;
  rssFile?: number;
  heapUsed: number;
  heapTotal: number;
}


type Inserts = Awaited<ReturnType<typeof insertTotals>>;

export interface ProcessResult {
  type: 'process-result';
  events: number;
  processed: number;
  timedOut: boolean;
  byResult: Record<string, number>;
  /** Reasons of dead-lettered and dropped events, `result/reason` → count. */
  notOk: Record<string, number>;
  storeMs: number;
  /** startProcessor() resolved, first event stepped, every event stepped, every event visible: ms since just before startProcessor (as every time of this result). */
  startMs: number;
  firstEventMs: number;
  steppedMs: number;
  visibleMs: number;
  /** When measuring ended: every event visible, or the deadline. */
  endMs: number;
  cpuMs: number;
  elu: number;
  gcMs: number;
  /** Readings at each tenth of the events (k = 1…10) and at startProcessor() resolved (k = 0). */
  deciles: (ProgressStep & { k: number })[];
  memory: MemorySample[];
  inserts: Inserts;
  /** Flush phases (claim, step, inserts, done) over the processing: count and summed seconds. */
  phases: Awaited<ReturnType<typeof histogramTotalsBy>>;
  flushesByKind: Record<string, number>;
  /** An idle flush had moved some partition's stream time past the day's end when this was sent (the close had begun). */
  closeBegun: boolean;
  settings: { flushMaxMessages: number; flushIntervalMs: number; idleFlushMs: number; snapshotEvery: number; sessionTimeoutMs: number; topics: number };
}

export interface MetricFinality {
  metric: string;
  /** Every bucket of the day is final once cs.settled reaches this (epoch ms). */
  needMs: number;
  settledMs: number;
  /** ms since the worker's t0 when it became final (-1: not final). */
  finalAtMs: number;
  /** Why it cannot become final now (empty when it can). */
  cannot: string;
}

export interface RestoreResult {
  type: 'restore-result';
  startMs: number;
  firstFlushMs: number;
  /** Every metric that can be final is final (ms since t0; -1 when the deadline passed first). */
  allFinalMs: number;
  finality: MetricFinality[];
  /** Day-grain rows of cs.metrics not final, per metric, after the wait. */
  notFinalRows: Record<string, number>;
  deadLetters: Record<string, number>;
  byResult: Record<string, number>;
  /** What the day holds, from the store: events per raw table, contacts started / ended / self-service. */
  rawRows: Record<string, number>;
  contacts: { started: number; ended: number; selfService: number; selfServiceEntry: number; transferred: number };
  memory: MemorySample[];
  inserts: Inserts;
}

export interface LiveSample {
  t: number;
  lag: number;
  rss: number;
  heapUsed: number;
  processed: number;
  /** Events the live simulator had sent when the sample arrived (the parent fills it in). */
  sent?: number;
}

export type WorkerMessage = ProcessResult | RestoreResult | { type: 'started'; ms: number } | { type: 'first-flush'; ms: number } | ({ type: 'live-sample' } & LiveSample) | { type: 'live-result'; byResult: Record<string, number>; notOk: Record<string, number> } | { type: 'error'; message: string };

/** Metrics whose figures may stay open long after their day, and why (SPEC §6). */
function cannotFinalize(metric: string, dayEnd: number, retentionMs: number, latenessMs: number): string {
  if (metric === 'upheld_complaints_per_10k') return 'an UPHELD counts in its FILED bucket and may come up to 400 days after it (the processor keeps a complaint that long): a day with a complaint neither upheld nor forgotten keeps this figure open';
  if (metric === 'outreach_retention_rate' && dayEnd + retentionMs + latenessMs > Date.now()) return `the ${Math.round(retentionMs / 86_400_000)}-day retention window of the day's outreaches has not passed on the wall clock yet`;
  return '';
}

const { values: args } = parseArgs({
  options: {
    mode: { type: 'string' },
    client: { type: 'string', default: 'kafkajs' },
    prefix: { type: 'string' },
    group: { type: 'string' },
    'data-dir': { type: 'string' },
    'day-start': { type: 'string' },
    'day-end': { type: 'string' },
    events: { type: 'string', default: '0' },
    contacts: { type: 'string', default: '0' },
    'time-zone': { type: 'string', default: 'UTC' },
    'idle-flush': { type: 'string' },
    'timeout-ms': { type: 'string', default: '3600000' },
    brokers: { type: 'string', default: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092' },
  },
});
const mode = args.mode as 'process' | 'restore' | 'live';
const client = args.client as KafkaClientKind;
const prefix = args.prefix!;
const dataDir = args['data-dir']!;
const dayStart = Number(args['day-start']);
const dayEnd = Number(args['day-end']);
const events = Number(args.events);
const contacts = Number(args.contacts);
const timeZone = args['time-zone']!;
const timeoutMs = Number(args['timeout-ms']);
if (!['process', 'restore', 'live'].includes(mode) || !prefix || !args.group || !dataDir || !(dayEnd > dayStart)) {
  throw new Error('usage: seed-worker --mode process|restore|live --prefix P --group G --data-dir D --day-start MS --day-end MS');
}
if (mode === 'process' && !(events > 0)) throw new Error('--mode process needs --events');

const progress = (line: string) => process.stderr.write(`  [${mode}] ${line}\n`);
const logger = createLogger('bench-seed-processor', process.env.LOG_LEVEL ?? 'info');

const memory: MemorySample[] = [];
const t0 = performance.now();
const since = () => performance.now() - t0;
const sampleMemory = (): MemorySample => {
  const m = process.memoryUsage();
  const parts = residentParts();
  return { t: since(), rss: m.rss, rssAnon: parts?.anon, rssFile: parts?.file, heapUsed: m.heapUsed, heapTotal: m.heapTotal };
};
const memTimer = setInterval(() => memory.push(sampleMemory()), 1000);

const tStore = performance.now();
const ch = await openBenchStore(dataDir, timeZone);
const storeMs = performance.now() - tStore;
const config = benchProcessorConfig(prefix, timeZone, args.group!, args['idle-flush'] ? { CS_IDLE_FLUSH: args['idle-flush'] } : {});

async function rows<T>(query: string): Promise<T[]> {
  return (await ch.query({ query, format: 'JSONEachRow' })).json<T>();
}
const scalar = async (query: string) => Number((await rows<{ n: number | string | null }>(query))[0]?.n ?? 0);
const rawTables = config.topics.map((t) => `raw_${t.replace(/^cs\./, '')}`);
const rawCounts = async () => Object.fromEntries(await Promise.all(rawTables.map(async (t) => [t, await scalar(`SELECT count() AS n FROM cs.${t}`)] as const)));
const contactsCounted = () => scalar(`SELECT sum(numerator) AS n FROM cs.metrics WHERE grain = 'day' AND metric = 'contacts'`);

/** Events stepped, by result; and the reasons of those not ok. */
async function results(): Promise<{ byResult: Record<string, number>; notOk: Record<string, number> }> {
  const byResult = await sumsBy('cs_processor_events_total', 'result');
  const notOk: Record<string, number> = {};
  for (const v of await metricValues('cs_processor_events_total')) {
    if (v.labels.result === 'ok' || v.value === 0) continue;
    const key = `${v.labels.result}/${v.labels.reason}`;
    notOk[key] = (notOk[key] ?? 0) + v.value;
  }
  return { byResult, notOk };
}

let running: RunningProcessor | undefined;
let failure: Error | undefined;
const startedAt = async (): Promise<number> => {
  running = await startProcessor({ config, kafka: { brokers: args.brokers!.split(','), clientId: args.group!, client, logger }, client: ch, db: 'cs', logger, stateDir: `${dataDir}-state`, exclusiveStore: true });
  running.stopped.catch((err: Error) => (failure = err));
  return since();
};

/**
 * BENCH_SEED_PROFILE=<dir>: a CPU profile of this worker's phase in <dir>/<mode>.cpuprofile and its
 * sampled allocations in <dir>/<mode>.heapprofile (the process worker is SIGKILLed, so --cpu-prof
 * would never write one).
 */
async function startProfile(): Promise<(() => Promise<void>) | undefined> {
  const dir = process.env.BENCH_SEED_PROFILE;
  if (!dir) return undefined;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${mode}.cpuprofile`);
  const session = new Session();
  session.connect();
  await session.post('Profiler.setSamplingInterval', { interval: 1000 });
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  // Where the garbage comes from: allocations sampled every 64 KiB, those collected included.
  await session.post('HeapProfiler.startSampling', { samplingInterval: 65536, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    const heap = await session.post('HeapProfiler.stopSampling');
    const heapFile = file.replace(/\.cpuprofile$/, '.heapprofile');
    writeFileSync(heapFile, JSON.stringify(heap.profile));
    progress(`CPU profile of the ${mode} phase in ${file} (npx tsx bench/profile-top.ts ${file}), allocations in ${heapFile}`);
    session.disconnect();
  };
}

async function processBacklog(): Promise<void> {
  // Times of this phase count from just before startProcessor (the store is open and migrated).
  const origin = since();
  const rel = () => since() - origin;
  const usage = startUsageMeter();
  const profiler = await startProfile();
  const startMs = (await startedAt()) - origin;
  progress(`store ready in ${Math.round(storeMs)} ms, processor started in ${Math.round(startMs)} ms; ${fmt(events)} events to process`);
  const deadline = performance.now() + timeoutMs;
  const reading = async (processed: number): Promise<ProgressStep> => {
    const m = sampleMemory();
    return { t: m.t - origin, processed, cpuMs: usage.cpuMs(), rss: m.rss, heapUsed: m.heapUsed, flushes: await histogramSnapshot('cs_processor_flush_duration_seconds') };
  };
  const atStart = await reading(0);
  const steps: ProgressStep[] = [];
  let processed = 0;
  let firstEventMs = -1;
  let steppedMs = -1;
  let visibleMs = -1;
  let last = { t: since(), processed: 0 };
  while (performance.now() < deadline && !failure) {
    const now = total(await sumsBy('cs_processor_events_total', 'result'));
    if (now > processed) steps.push(await reading(now));
    processed = now;
    if (processed > 0 && firstEventMs < 0) firstEventMs = rel();
    if (processed >= events) {
      steppedMs = rel();
      break;
    }
    if (since() - last.t >= 5000) {
      const m = sampleMemory();
      progress(
        `${fmt(processed)} / ${fmt(events)} events (${((processed / events) * 100).toFixed(1)} %) after ${(rel() / 1000).toFixed(0)} s, ` +
          `${fmt(((processed - last.processed) / (since() - last.t)) * 1000)} events/s (last ${((since() - last.t) / 1000).toFixed(0)} s), rss ${fmt(m.rss / MiB)} MiB, heap ${fmt(m.heapUsed / MiB)} MiB`,
      );
      last = { t: since(), processed };
    }
    await sleep(100);
  }
  // Visible: every accepted event is in its raw table and every contact counts in cs.metrics
  // (a flush writes its tables in parallel; the raw tables, the largest, tend to land last).
  const accepted = (await sumsBy('cs_processor_events_total', 'result')).ok ?? 0;
  while (steppedMs >= 0 && performance.now() < deadline && !failure) {
    if (total(await rawCounts()) >= accepted && (contacts <= 0 || (await contactsCounted()) >= contacts)) {
      visibleMs = rel();
      break;
    }
    await sleep(250);
  }
  const { cpuMs, elu, gcMs } = usage.stop();
  await profiler?.();
  const endMs = visibleMs >= 0 ? visibleMs : rel();
  if (failure) throw failure;
  const timedOut = visibleMs < 0;
  progress(timedOut ? `TIMED OUT after ${(timeoutMs / 1000).toFixed(0)} s with ${fmt(processed)} / ${fmt(events)} events stepped` : `all ${fmt(events)} events stepped at ${(steppedMs / 1000).toFixed(1)} s and visible at ${(visibleMs / 1000).toFixed(1)} s`);
  const streamTimes = (await metricValues('cs_processor_stream_time_seconds')).map((v) => v.value);
  memory.push(sampleMemory());
  await report({
    type: 'process-result',
    events,
    processed,
    timedOut,
    ...(await results()),
    storeMs,
    startMs,
    firstEventMs,
    steppedMs,
    visibleMs,
    endMs,
    cpuMs,
    elu,
    gcMs,
    deciles: decileMarks(atStart, steps, events),
    memory: memory.map((m) => ({ ...m, t: m.t - origin })),
    inserts: await insertTotals(),
    phases: await histogramTotalsBy('cs_processor_flush_phase_seconds', 'phase'),
    flushesByKind: await sumsBy('cs_processor_flushes_total', 'kind'),
    closeBegun: streamTimes.some((s) => s * 1000 > dayEnd + config.rules.allowedLatenessMs + 3_600_000),
    settings: {
      flushMaxMessages: config.flushMaxMessages,
      flushIntervalMs: config.flushIntervalMs,
      idleFlushMs: config.rules.idleFlushMs,
      snapshotEvery: config.snapshotEvery,
      sessionTimeoutMs: config.sessionTimeoutMs,
      topics: config.topics.length,
    },
  } satisfies ProcessResult);
  // The parent SIGKILLs this process now (a crash at the end of the day); until then it runs on.
  await new Promise(() => {});
}

async function restoreAndClose(): Promise<void> {
  const profiler = await startProfile();
  const startMs = await startedAt();
  await report({ type: 'started', ms: startMs });
  const deadline = performance.now() + timeoutMs;
  let firstFlushMs = -1;
  const watchFlush = (async () => {
    while (firstFlushMs < 0 && performance.now() < deadline && !failure) {
      if (total(await sumsBy('cs_processor_flushes_total', 'kind')) > 0) {
        firstFlushMs = since();
        await report({ type: 'first-flush', ms: firstFlushMs });
      } else await sleep(50);
    }
  })();
  // A day bucket is final once cs.settled passes its end (the next local midnight, as cs.metrics computes it).
  const needs = await rows<{ metric: string; need: string }>(
    `SELECT metric, toUnixTimestamp64Milli(toDateTime64(toStartOfDay(max(bucket) + INTERVAL 26 HOUR), 3)) AS need FROM cs.metric_sums WHERE grain = 'day' AND bucket < fromUnixTimestamp64Milli(${dayEnd}) GROUP BY metric ORDER BY metric`,
  );
  const { retentionWindowMs, allowedLatenessMs } = config.rules;
  const finality: MetricFinality[] = needs.map((n) => ({ metric: n.metric, needMs: Number(n.need), settledMs: 0, finalAtMs: -1, cannot: cannotFinalize(n.metric, dayEnd, retentionWindowMs, allowedLatenessMs) }));
  let allFinalMs = -1;
  let lastProgress = 0;
  while (performance.now() < deadline && !failure) {
    const settled = new Map((await rows<{ metric: string; s: string }>(`SELECT metric, toUnixTimestamp64Milli(settled_up_to) AS s FROM cs.settled`)).map((r) => [r.metric, Number(r.s)]));
    for (const f of finality) {
      f.settledMs = settled.get(f.metric) ?? 0;
      if (f.finalAtMs < 0 && f.settledMs >= f.needMs) f.finalAtMs = since();
    }
    const waiting = finality.filter((f) => f.finalAtMs < 0 && !f.cannot);
    if (!waiting.length) {
      allFinalMs = since();
      break;
    }
    if (since() - lastProgress >= 10_000) {
      lastProgress = since();
      progress(`${finality.length - waiting.length} / ${finality.length} metrics final for the day after ${(since() / 1000).toFixed(0)} s; waiting for ${waiting.map((f) => f.metric).join(', ')}`);
    }
    await sleep(1000);
  }
  await watchFlush;
  await profiler?.();
  if (failure) throw failure;
  progress(allFinalMs < 0 ? `not every figure was final after ${(timeoutMs / 1000).toFixed(0)} s` : `every figure that can be final is final at ${(allFinalMs / 1000).toFixed(1)} s`);
  const notFinalRows = Object.fromEntries(
    (await rows<{ metric: string; n: string }>(`SELECT metric, countIf(NOT final) AS n FROM cs.metrics WHERE grain = 'day' AND bucket < fromUnixTimestamp64Milli(${dayEnd}) GROUP BY metric HAVING n > 0 ORDER BY metric`)).map((r) => [r.metric, Number(r.n)]),
  );
  const deadLetters = Object.fromEntries((await rows<{ reason: string; n: string }>(`SELECT reason, count() AS n FROM cs.dead_letters GROUP BY reason ORDER BY reason`)).map((r) => [r.reason, Number(r.n)]));
  const sums = new Map(
    (await rows<{ metric: string; num: number; den: number }>(
      `SELECT metric, sum(numerator) AS num, sum(denominator) AS den FROM cs.metric_sums WHERE grain = 'day' AND metric IN ('contacts', 'self_service_share', 'self_service_transfer_rate') AND bucket < fromUnixTimestamp64Milli(${dayEnd}) GROUP BY metric`,
    )).map((r) => [r.metric, r]),
  );
  memory.push(sampleMemory());
  await report({
    type: 'restore-result',
    startMs,
    firstFlushMs,
    allFinalMs,
    finality,
    notFinalRows,
    deadLetters,
    byResult: (await results()).byResult,
    rawRows: await rawCounts(),
    contacts: {
      started: Number(sums.get('contacts')?.num ?? 0),
      ended: Number(sums.get('self_service_share')?.den ?? 0),
      selfService: Number(sums.get('self_service_share')?.num ?? 0),
      selfServiceEntry: Number(sums.get('self_service_transfer_rate')?.den ?? 0),
      transferred: Number(sums.get('self_service_transfer_rate')?.num ?? 0),
    },
    memory,
    inserts: await insertTotals(),
  } satisfies RestoreResult);
}

async function live(): Promise<void> {
  const startMs = await startedAt();
  await report({ type: 'started', ms: startMs });
  let stop = false;
  process.on('message', (m: { type?: string }) => {
    if (m?.type === 'stop') stop = true;
  });
  while (!stop && !failure) {
    const m = sampleMemory();
    const sample: LiveSample = { t: m.t, lag: (await metricValues('cs_processor_consumer_lag')).reduce((a, v) => a + v.value, 0), rss: m.rss, heapUsed: m.heapUsed, processed: total(await sumsBy('cs_processor_events_total', 'result')) };
    await report({ type: 'live-sample', ...sample });
    for (let i = 0; i < 50 && !stop; i++) await sleep(100);
  }
  if (failure) throw failure;
  await report({ type: 'live-result', ...(await results()) });
}

try {
  if (mode === 'process') await processBacklog();
  else if (mode === 'restore') await restoreAndClose();
  else await live();
  clearInterval(memTimer);
  await running?.stop();
  await ch.close();
  process.exit(0);
} catch (err) {
  progress(`failed: ${(err as Error).stack ?? String(err)}`);
  await report({ type: 'error', message: (err as Error).message }).catch(() => undefined);
  await running?.stop({ flush: false }).catch(() => undefined);
  await ch.close().catch(() => undefined);
  process.exit(1);
}
