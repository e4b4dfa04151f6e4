/**
 * `npm run bench:seed` (issue 9): one seed-scale day through the real processor on this machine.
 *
 * 1. Produce: the simulator's history mode writes one day (BENCH_SEED_CONTACTS contacts per day,
 *    7 business units, 420 products, Asia/Shanghai, seed 7) to fresh prefixed topics
 *    (bench/seed-produce.ts).
 * 2. Raw consume ceiling: the same Kafka client reads the 7 topics with a throwaway group, counting only.
 * 3. Processor on the whole backlog (bench/seed-worker.ts --mode process, own process, fresh embedded
 *    store, own group): rate overall and per decile, memory every second, CPU, flush latencies, dead
 *    letters. Once every event is visible — before the close of the day's windows — it is SIGKILLed.
 * 4. Restore (--mode restore): a new worker on the same store and group; spawn → partitions restored →
 *    first flush; then the close, until every figure of the day that can be final is (cs.settled).
 * 5. Insert ceiling: the rows the processor wrote (spooled from its store by bench/seed-spool.ts)
 *    re-inserted through insertRows into a fresh store, as many per table and call as it wrote them
 *    (bench/seed-inserts.ts).
 * 6. Live check (--mode live): the live simulator at 3 × the day's mean rate into a processor on the
 *    day's store; consumer lag and RSS every 5 s; flat or not.
 * Then issue 9's targets with pass/fail, a report on stdout, and a dated entry in BENCHMARKS.md.
 *
 * Environment (all optional):
 *   KAFKA_BROKERS / KAFKA_PORT   broker (default 127.0.0.1:${KAFKA_PORT:-9092}; started locally when down)
 *   BENCH_SEED_CONTACTS          simulator --contacts-per-day (default 4840000, the issue's day; 100000 for a quick run)
 *   BENCH_SEED_START             the day, YYYY-MM-DD in Asia/Shanghai (default 2026-11-02, a Monday)
 *   BENCH_SEED_PARTITIONS        partitions per topic (default 4)
 *   BENCH_SEED_CLIENT            kafkajs (default) or rdkafka: raw consume and processor
 *   BENCH_SEED_TIMEOUT_S         processing deadline (default max(900, events / 3000))
 *   BENCH_SEED_FINAL_TIMEOUT_S   deadline for every figure to be final after the restore (default 1800)
 *   BENCH_SEED_INSERT_LANES      flush rounds inserted at once by the insert ceiling (default 1, as the processor's consumer loop writes)
 *   BENCH_SEED_INSERT_SHARE      share of those rounds the insert ceiling runs (default 1: all; e.g. 0.25 for a quicker estimate)
 *   BENCH_SEED_LIVE_MINUTES      live check length (default 10); BENCH_SEED_SKIP_LIVE=1 skips it
 *   BENCH_SEED_SKIP_INSERTS=1    skip the insert ceiling
 *   BENCH_SEED_PROFILE=DIR       CPU profiles of phases 3 and 4 in DIR/process.cpuprofile, DIR/restore.cpuprofile (npx tsx bench/profile-top.ts F)
 *   BENCH_SEED_KEEP_TOPICS=1     keep the topics; BENCH_SEED_KEEP_STORE=1 keep the stores and spool (paths printed)
 *   BENCH_NO_RECORD=1            do not append to BENCHMARKS.md
 * Progress goes to stderr, the report to stdout.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KafkaClientKind } from '@cs/kafka';
import { createEventProducer } from '@cs/producer';
import { TOPICS } from '@cs/schemas';
import { parseDate, startLiveSimulator, ZoneClock } from '@cs/simulator';
import { consumeAll } from './consume.ts';
import { produceSeedDay, type Produced } from './seed-produce.ts';
import { buildReport, type LiveCheck, type RestoreTimes, type SeedRun } from './seed-report.ts';
import type { InsertPlan, InsertsResult } from './seed-inserts.ts';
import type { SpoolResult } from './seed-spool.ts';
import type { LiveSample, ProcessResult, RestoreResult, WorkerMessage } from './seed-worker.ts';
import { appendBenchmarkEntry, benchBrokers, deleteTopics, ensureBroker, fmt, log, machine, MiB, sleep, spawnWorker } from './support.ts';

const env = process.env;
const CONTACTS = Number(env.BENCH_SEED_CONTACTS ?? 4_840_000);
const START = env.BENCH_SEED_START ?? '2026-11-02';
const PARTITIONS = Number(env.BENCH_SEED_PARTITIONS ?? 4);
const CLIENT = (env.BENCH_SEED_CLIENT ?? 'kafkajs') as KafkaClientKind;
const FINAL_TIMEOUT_S = Number(env.BENCH_SEED_FINAL_TIMEOUT_S ?? 1800);
const INSERT_LANES = Number(env.BENCH_SEED_INSERT_LANES ?? 1);
const INSERT_SHARE = Number(env.BENCH_SEED_INSERT_SHARE ?? 1);
const LIVE_MINUTES = Number(env.BENCH_SEED_LIVE_MINUTES ?? 10);
const TIME_ZONE = 'Asia/Shanghai';
const PRODUCTS = 420;
const SIM_SEED = 7;
/** The restored worker's CS_IDLE_FLUSH: the close starts as soon as the pipeline is idle. */
const CLOSE_IDLE_FLUSH = '2s';
/** Tables of the processor's own state (write-ahead log, snapshots): engine bookkeeping, not rows of the events. */
const isStateTable = (t: string) => t.startsWith('processor_');
if (!['kafkajs', 'rdkafka'].includes(CLIENT)) throw new Error(`BENCH_SEED_CLIENT must be kafkajs or rdkafka, got "${CLIENT}"`);
if (!(CONTACTS > 0) || !(PARTITIONS > 0)) throw new Error('BENCH_SEED_CONTACTS and BENCH_SEED_PARTITIONS must be positive numbers');

const brokers = benchBrokers();
const when = new Date();
const loadBefore = loadavg()[0]!.toFixed(2);
const tAll = performance.now();
const zone = new ZoneClock(TIME_ZONE);
const d = parseDate(START);
const dayStart = zone.toUtc(d.year, d.month, d.day);
const dayEnd = zone.toUtc(d.year, d.month, d.day + 1);
if (dayEnd > Date.now()) throw new Error(`BENCH_SEED_START ${START} is not a whole day in the past`);
const runId = Date.now().toString(36);
const prefix = `benchseed${runId}.`;
const group = `${prefix}processor`;
const scratch = mkdtempSync(join(tmpdir(), 'cs-bench-seed-'));
const storeDir = join(scratch, 'store');
const notes: string[] = [];
const phase = (n: number, text: string) => log(`[${n}/6] ${text}`);

/** Worker arguments shared by every mode. */
const workerArgs = (mode: string, extra: string[] = []) => [
  '--mode', mode, '--client', CLIENT, '--prefix', prefix, '--group', group, '--data-dir', storeDir,
  '--day-start', String(dayStart), '--day-end', String(dayEnd), '--time-zone', TIME_ZONE, '--brokers', brokers.join(','), ...extra,
];

/** Waits for a worker's message of `type` (rejects if the worker reports an error or exits first). */
function expect<T extends WorkerMessage['type']>(w: ReturnType<typeof spawnWorker<WorkerMessage>>, type: T): Promise<Extract<WorkerMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    w.onMessage((m) => {
      if (m.type === type) resolve(m as Extract<WorkerMessage, { type: T }>);
      else if (m.type === 'error') reject(new Error(`worker failed: ${m.message}`));
    });
    void w.exited.then((code) => reject(new Error(`worker exited with ${code} before sending ${type}`)));
  });
}

async function processBacklog(produced: Produced): Promise<{ result: ProcessResult; killedAtMs: number }> {
  const timeoutS = Number(env.BENCH_SEED_TIMEOUT_S ?? Math.max(900, Math.round(produced.events / 3000)));
  phase(3, `processor (${CLIENT}) on the backlog of ${fmt(produced.events)} events: own process, fresh store, group ${group}; deadline ${timeoutS} s`);
  const w = spawnWorker<WorkerMessage>('bench/seed-worker.ts', workerArgs('process', ['--events', String(produced.events), '--contacts', String(produced.contacts), '--timeout-ms', String(timeoutS * 1000)]), {
    env: { ...env, LOG_LEVEL: env.LOG_LEVEL ?? 'warn' },
  });
  const result = await expect(w, 'process-result');
  // A crash at the end of the day: every event processed, the windows still open.
  w.child.kill('SIGKILL');
  const killedAtMs = performance.now() - w.spawnedAt;
  await w.exited;
  log(`  SIGKILLed the processor ${(killedAtMs / 1000).toFixed(1)} s after its spawn`);
  return { result, killedAtMs };
}

/**
 * A worker on the day's store and group that restores its partitions: logs at info, from which the
 * assignment and every 'partition restored' line (with its state keys) are timed from spawn.
 */
function spawnRestoring(mode: 'restore' | 'live', extra: string[] = []) {
  const expected = TOPICS.length * PARTITIONS;
  const times: RestoreTimes = { assignedMs: -1, restoredMs: -1, startedMs: -1, firstFlushMs: -1, allFinalMs: -1, partitionsRestored: 0, partitionsExpected: expected, keys: 0 };
  const restored = new Set<string>();
  let onRestored!: () => void;
  const allRestored = new Promise<void>((resolve) => (onRestored = resolve));
  const w = spawnWorker<WorkerMessage>('bench/seed-worker.ts', workerArgs(mode, extra), {
    env: { ...env, LOG_LEVEL: 'info' },
    onLine: (_line, json) => {
      if (!json) return true;
      const at = performance.now() - w.spawnedAt;
      if (json.msg === 'partitions assigned' && times.assignedMs < 0) times.assignedMs = at;
      if (json.msg === 'partition restored') {
        restored.add(`${String(json.topic)}/${String(json.partition)}`);
        times.keys += Number(json.keys ?? 0);
        times.partitionsRestored = restored.size;
        if (restored.size === expected) {
          times.restoredMs = at;
          log(`  every partition restored ${(at / 1000).toFixed(1)} s after spawn (${fmt(times.keys)} state keys)`);
          onRestored();
        }
      }
      return Number(json.level) >= 40;
    },
  });
  return { w, times, allRestored };
}

async function restoreAndClose(): Promise<{ result: RestoreResult; times: RestoreTimes; idleFlush: string }> {
  phase(4, `restore: a new worker on the same store and group (CS_IDLE_FLUSH ${CLOSE_IDLE_FLUSH}), then the close of the day's windows`);
  const { w, times } = spawnRestoring('restore', ['--idle-flush', CLOSE_IDLE_FLUSH, '--timeout-ms', String(FINAL_TIMEOUT_S * 1000)]);
  let t0 = NaN;
  w.onMessage((m) => {
    const at = performance.now() - w.spawnedAt;
    if (m.type === 'started') {
      times.startedMs = at;
      t0 = at - m.ms;
    } else if (m.type === 'first-flush') {
      times.firstFlushMs = at;
      log(`  first flush after restore ${(at / 1000).toFixed(1)} s after spawn`);
    }
  });
  const result = await expect(w, 'restore-result');
  if (result.allFinalMs >= 0) times.allFinalMs = t0 + result.allFinalMs;
  await w.exited;
  return { result, times, idleFlush: CLOSE_IDLE_FLUSH };
}

async function insertCeiling(events: number, written: ProcessResult['inserts'][], scratchDir: string): Promise<NonNullable<SeedRun['inserts']>> {
  phase(5, `insert ceiling: the processor's rows spooled from its store, re-inserted through insertRows into a fresh store (${INSERT_LANES} flush round(s) at a time)`);
  const plan: InsertPlan = {};
  const excluded: Record<string, { rows: number; calls: number; seconds: number }> = {};
  for (const w of written) {
    for (const [table, v] of Object.entries(w)) {
      if (isStateTable(table)) {
        const e = (excluded[table] ??= { rows: 0, calls: 0, seconds: 0 });
        e.rows += v.rows;
        e.calls += v.calls;
        e.seconds += v.seconds;
      } else {
        const e = (plan[table] ??= { rows: 0, calls: 0 });
        e.rows += v.rows;
        e.calls += v.calls;
      }
    }
  }
  for (const [table, v] of Object.entries(plan)) if (v.rows === 0) delete plan[table];
  const spoolDir = join(scratchDir, 'spool');
  mkdirSync(spoolDir, { recursive: true });
  const spool = spawnWorker<SpoolResult | { type: 'error'; message: string }>('bench/seed-spool.ts', ['--data-dir', storeDir, '--out-dir', spoolDir, '--tables', Object.keys(plan).join(',')], {});
  const spooled = await new Promise<SpoolResult>((resolve, reject) => {
    spool.onMessage((m) => (m.type === 'spool-result' ? resolve(m) : reject(new Error(`spool failed: ${m.message}`))));
    void spool.exited.then((code) => reject(new Error(`spool exited with ${code}`)));
  });
  await spool.exited;
  log(`  spooled ${fmt(Object.values(spooled.rows).reduce((a, b) => a + b, 0))} rows of ${Object.keys(plan).length} tables in ${(spooled.ms / 1000).toFixed(1)} s; inserting ${fmt(Object.values(plan).reduce((a, v) => a + v.rows, 0))} rows…`);
  const ins = spawnWorker<InsertsResult | { type: 'error'; message: string }>(
    'bench/seed-inserts.ts',
    ['--data-dir', join(scratchDir, 'ceiling-store'), '--spool-dir', spoolDir, '--plan', JSON.stringify(plan), '--lanes', String(INSERT_LANES), '--share', String(INSERT_SHARE), '--time-zone', TIME_ZONE],
    {},
  );
  const result = await new Promise<InsertsResult>((resolve, reject) => {
    ins.onMessage((m) => (m.type === 'inserts-result' ? resolve(m) : reject(new Error(`inserts failed: ${m.message}`))));
    void ins.exited.then((code) => reject(new Error(`inserts exited with ${code}`)));
  });
  await ins.exited;
  if (env.BENCH_SEED_KEEP_STORE !== '1') rmSync(spoolDir, { recursive: true, force: true });
  log(`  ${fmt(((events * result.rows) / result.plannedRows / result.ms) * 1000)} events/s, ${fmt((result.rows / result.ms) * 1000)} rows/s of insert time`);
  return { result, excluded };
}

async function liveCheck(produced: Produced): Promise<LiveCheck> {
  const target = (3 * produced.events) / ((dayEnd - dayStart) / 1000);
  const ratePerMinute = (target * 60) / (produced.events / produced.contacts);
  phase(6, `live check: ${LIVE_MINUTES} min at 3 × the day's mean = ${fmt(target)} events/s (${fmt(ratePerMinute)} contacts/min) into a processor on the day's store`);
  const { w, allRestored } = spawnRestoring('live');
  const samples: LiveSample[] = [];
  let sim: ReturnType<typeof startLiveSimulator> | undefined;
  let lastShown = 0;
  w.onMessage((m) => {
    if (m.type !== 'live-sample') return;
    samples.push({ ...m, sent: sim?.stats().sent ?? 0 });
    if (m.t - lastShown >= 30_000) {
      lastShown = m.t;
      log(`  live: lag ${fmt(m.lag)} messages, rss ${fmt(m.rss / MiB)} MiB, heap ${fmt(m.heapUsed / MiB)} MiB, ${fmt(m.processed)} events processed`);
    }
  });
  // The live traffic starts on a restored processor (the restore was measured in phase 4); without
  // 'partition restored' log lines, 2 minutes after startProcessor() resolved.
  await expect(w, 'started');
  if ((await Promise.race([allRestored.then(() => true), sleep(120_000).then(() => false)])) === false) log('  no "partition restored" line for every partition within 2 min; starting the live traffic anyway');
  const producer = await createEventProducer({ kafka: { brokers, clientId: `${prefix}live`, client: 'kafkajs' }, topicPrefix: prefix });
  sim = startLiveSimulator({ ratePerMinute, timeZone: TIME_ZONE, products: PRODUCTS, idPrefix: `live-${runId}` }, producer);
  const firstSample = samples.length;
  await sleep(LIVE_MINUTES * 60_000);
  const sent = sim.stats();
  await sim.stop();
  await producer.close();
  const done = expect(w, 'live-result');
  w.send({ type: 'stop' });
  const result = await done;
  await w.exited;
  return { minutes: LIVE_MINUTES, targetEventsPerSecond: target, sentEventsPerSecond: sent.eventsPerSecond, samples: samples.slice(firstSample), notOk: result.notOk };
}

const topics = [...TOPICS, 'cs.dead_letters'].map((t) => prefix + t);
let run: SeedRun | undefined;
try {
  await ensureBroker(brokers);
  phase(1, `produce: one day from ${START} (${TIME_ZONE}), ${fmt(CONTACTS)} contacts per day, ${PRODUCTS} products, seed ${SIM_SEED}, ${PARTITIONS} partitions per topic (broker ${brokers.join(',')})`);
  const produced = await produceSeedDay({ day: { start: START, timeZone: TIME_ZONE, products: PRODUCTS, contactsPerDay: CONTACTS, seed: SIM_SEED }, prefix, partitions: PARTITIONS, brokers });

  phase(2, `raw consume ceiling: ${CLIENT}, the 7 topics, throwaway group, count only`);
  let lastShown = performance.now();
  const raw = await consumeAll({ brokers, clientId: 'cs-bench-seed' }, CLIENT, TOPICS.map((t) => prefix + t), produced.events, true, (count) => {
    if (performance.now() - lastShown < 10_000) return;
    lastShown = performance.now();
    log(`  ${fmt(count)} / ${fmt(produced.events)} messages`);
  });
  const rawConsume = { ms: raw.ms, rate: (produced.events / raw.ms) * 1000, batches: raw.batches };
  log(`  ${fmt(rawConsume.rate)} messages/s`);

  const { result: processed, killedAtMs } = await processBacklog(produced);
  run = {
    machine: machine(),
    command: `npm run bench:seed${Object.entries(env).filter(([k]) => k.startsWith('BENCH_')).map(([k, v]) => ` ${k}=${v}`).join('')}`,
    when,
    loadBefore,
    loadAfter: '',
    wallMs: 0,
    brokers,
    client: CLIENT,
    partitions: PARTITIONS,
    timeZone: TIME_ZONE,
    dayStart,
    dayEnd,
    produced,
    rawConsume,
    process: processed,
    killedAtMs,
    notes,
  };
  if (processed.timedOut) notes.push(`The processor did not finish the backlog within its deadline (${fmt(processed.processed)} of ${fmt(produced.events)} events stepped): restore, close, insert ceiling and live check were skipped.`);
  else {
    run.restore = await restoreAndClose();
    if (env.BENCH_SEED_SKIP_INSERTS !== '1') run.inserts = await insertCeiling(produced.events, [processed.inserts, run.restore.result.inserts], scratch);
    else notes.push('The insert ceiling was skipped (BENCH_SEED_SKIP_INSERTS=1).');
    if (env.BENCH_SEED_SKIP_LIVE !== '1') run.live = await liveCheck(produced);
    else notes.push('The live check was skipped (BENCH_SEED_SKIP_LIVE=1).');
  }
} finally {
  await deleteTopics(brokers, topics, env.BENCH_SEED_KEEP_TOPICS === '1');
  if (env.BENCH_SEED_KEEP_STORE === '1') log(`kept the stores and spool in ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
}
if (!run) throw new Error('unreachable: the run failed without an error');
run.loadAfter = loadavg()[0]!.toFixed(2);
run.wallMs = performance.now() - tAll;
const entry = buildReport(run);
process.stdout.write(`${entry}\n`);
if (env.BENCH_NO_RECORD !== '1') log(`appended an entry to ${appendBenchmarkEntry(entry)}`);
// Kafka clients may keep sockets open a moment after close; do not wait for them.
setTimeout(() => process.exit(0), 500).unref();
