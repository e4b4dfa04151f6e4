/**
 * The report of `npm run bench:seed`: what the day contained, the ceilings, the processor's figures
 * (overall, per decile, memory, CPU, flush latencies, dead letters), restore, finality, the live
 * check, and issue 9's targets with pass/fail — as text for stdout and as a BENCHMARKS.md entry.
 */
import type { KafkaClientKind } from '@cs/kafka';
import type { Produced } from './seed-produce.ts';
import type { InsertsResult } from './seed-inserts.ts';
import { histogramDelta, histogramQuantile, median, slope } from './seed-stats.ts';
import type { LiveSample, MemorySample, ProcessResult, RestoreResult } from './seed-worker.ts';
import { fmt, MiB, table, type Machine } from './support.ts';

export interface RestoreTimes {
  /** From spawn, ms (-1 when not seen). */
  assignedMs: number;
  restoredMs: number;
  startedMs: number;
  firstFlushMs: number;
  allFinalMs: number;
  partitionsRestored: number;
  partitionsExpected: number;
  keys: number;
}

export interface LiveCheck {
  minutes: number;
  targetEventsPerSecond: number;
  sentEventsPerSecond: number;
  samples: LiveSample[];
  notOk: Record<string, number>;
}

export interface SeedRun {
  machine: Machine;
  command: string;
  when: Date;
  loadBefore: string;
  loadAfter: string;
  wallMs: number;
  brokers: string[];
  client: KafkaClientKind;
  partitions: number;
  timeZone: string;
  dayStart: number;
  dayEnd: number;
  produced: Produced;
  rawConsume: { ms: number; rate: number; batches: number };
  process: ProcessResult;
  killedAtMs: number;
  restore?: { result: RestoreResult; times: RestoreTimes; idleFlush: string };
  inserts?: { result: InsertsResult; excluded: Record<string, { rows: number; calls: number; seconds: number }> };
  live?: LiveCheck;
  notes: string[];
}

const GiB = 2 ** 30;
const s1 = (ms: number) => (ms >= 0 ? `${(ms / 1000).toFixed(1)} s` : 'n/a');
const mb = (bytes: number) => `${fmt(bytes / MiB)} MiB`;
const ms = (seconds: number) => (Number.isFinite(seconds) ? `${fmt(seconds * 1000)} ms` : 'n/a');
const kv = (r: Record<string, number>) => (Object.keys(r).length ? Object.entries(r).map(([k, v]) => `${k} ${fmt(v)}`).join(', ') : 'none');

/** Thresholds of the live check's flatness verdict. */
export const FLAT = {
  /** Lag is flat when its fitted rise over the window is at most this many seconds of input. */
  lagSecondsOfInput: 2,
  /** RSS is flat when its fitted rise over the window is at most this share of its mean. */
  rssShare: 0.05,
  /** The window: the last this many ms of the check, or its last half when shorter. */
  windowMs: 5 * 60_000,
};

export function liveVerdict(live: LiveCheck) {
  const end = live.samples.at(-1)?.t ?? 0;
  const span = end - (live.samples[0]?.t ?? 0);
  const windowMs = Math.min(FLAT.windowMs, span / 2);
  const window = live.samples.filter((s) => s.t >= end - windowMs);
  const perMs = (pick: (s: LiveSample) => number) => slope(window.map((s) => ({ x: s.t, y: pick(s) })));
  const lagRise = perMs((s) => s.lag) * windowMs;
  const rssRise = perMs((s) => s.rss) * windowMs;
  const meanRss = window.reduce((a, s) => a + s.rss, 0) / Math.max(1, window.length);
  // A contact's events spread over its life, so the simulator sends less in its first minutes: the input of the window itself.
  const [w0, w1] = [window[0], window.at(-1)];
  const windowRate = w0 && w1 && w1.t > w0.t ? (((w1.sent ?? 0) - (w0.sent ?? 0)) / (w1.t - w0.t)) * 1000 : live.sentEventsPerSecond;
  const lagLimit = FLAT.lagSecondsOfInput * windowRate;
  const rssLimit = FLAT.rssShare * meanRss;
  return {
    windowMs,
    windowRate,
    samples: window.length,
    lagRise,
    lagLimit,
    lagFlat: window.length >= 3 && lagRise <= lagLimit,
    rssRise,
    rssLimit,
    rssFlat: window.length >= 3 && rssRise <= rssLimit,
  };
}

/** A sample's RSS split, where the worker could read it: " (anonymous A, file-backed F)". */
const split = (s: MemorySample | undefined) => (s?.rssAnon !== undefined && s.rssFile !== undefined ? ` (anonymous ${mb(s.rssAnon)}, file-backed ${mb(s.rssFile)})` : '');

function memoryFigures(samples: MemorySample[], from: number, to: number) {
  const inRun = samples.filter((s) => s.t >= from && s.t <= to);
  const lastHalf = inRun.filter((s) => s.t >= from + (to - from) / 2);
  const atPeak = samples.reduce<MemorySample | undefined>((top, s) => (!top || s.rss > top.rss ? s : top), undefined);
  return {
    /** The sample of the peak RSS, for its anonymous / file-backed split. */
    atPeak,
    peakRss: Math.max(0, ...samples.map((s) => s.rss)),
    peakHeap: Math.max(0, ...samples.map((s) => s.heapUsed)),
    steadyRss: median(lastHalf.map((s) => s.rss)),
    steadyHeap: median(lastHalf.map((s) => s.heapUsed)),
  };
}

/** The report as a BENCHMARKS.md entry (also what goes to stdout). */
export function buildReport(run: SeedRun): string {
  const p = run.process;
  const events = run.produced.events;
  const daySeconds = (run.dayEnd - run.dayStart) / 1000;
  const rate = ((p.timedOut ? p.processed : events) / p.endMs) * 1000;
  // The events whose rows were inserted: all of them, or the share of the rows the ceiling ran.
  const insertRate = run.inserts ? ((events * run.inserts.result.rows) / run.inserts.result.plannedRows / run.inserts.result.ms) * 1000 : NaN;
  const slowerCeiling = Math.min(run.rawConsume.rate, Number.isFinite(insertRate) ? insertRate : Infinity);
  const cpuPer100k = p.cpuMs / 1000 / (p.processed / 100_000);
  const killedAfter = `${s1(run.killedAtMs)} after its spawn`;
  const mem = memoryFigures(p.memory, p.firstEventMs, p.endMs);
  const memB = run.restore ? memoryFigures(run.restore.result.memory, 0, Infinity) : undefined;
  const peakRss = Math.max(mem.peakRss, memB?.peakRss ?? 0);
  const peakHeap = Math.max(mem.peakHeap, memB?.peakHeap ?? 0);
  const r = run.restore?.result;
  const rt = run.restore?.times;
  const c = r?.contacts;

  // --- what the day contained
  const byTopic = Object.entries(run.produced.byTopic).map(([t, n]) => `${t} ${fmt(n)}`).join(', ');
  const dayLines = [
    `Seed day: \`npm run simulate -- ${run.produced.argv.join(' ')}\` into topics \`${run.produced.prefix}cs.*\` (${run.partitions} partitions each): ${fmt(events)} events (${byTopic}); ` +
      `${fmt(run.produced.contacts)} contacts started` +
      (c ? ` (processor: ${fmt(c.started)} started, ${fmt(c.ended)} ended; ${fmt(c.selfServiceEntry)} self-service entry, of which ${fmt(c.transferred)} transferred: ${fmt(c.selfService)} self-service contacts)` : '') +
      `; mean ${fmt(events / daySeconds)} events/s over the day's ${(daySeconds / 3600).toFixed(0)} h.`,
    `Produce (the simulator, one process, kafkajs producer): ${fmt((events / run.produced.produceMs) * 1000)} events/s (${s1(run.produced.produceMs)}; ${s1(run.produced.wallMs)} with start-up).`,
  ];

  // --- ceilings
  const ceilingLines = [
    `Raw consume (${run.client}, the 7 topics, throwaway group, count only, one commit per batch): ${fmt(run.rawConsume.rate)} messages/s (${s1(run.rawConsume.ms)}, ${fmt(run.rawConsume.batches)} batches).`,
  ];
  if (run.inserts) {
    const i = run.inserts.result;
    ceilingLines.push(
      `Embedded ClickHouse inserts (insertRows into a fresh store, the rows the processor wrote for the day in as many calls per table, ${i.lanes} flush-round(s) at a time, no processing): ` +
        `${fmt(insertRate)} events/s, ${fmt((i.rows / i.ms) * 1000)} rows/s (${fmt(i.rows)} rows in ${fmt(i.calls)} inserts, ${s1(i.ms)} of insert time${i.rows < i.plannedRows ? `; ${((i.rows / i.plannedRows) * 100).toFixed(0)} % of the ${fmt(i.plannedRows)} rows the processor wrote` : ''}).` +
        (i.skipped.length ? ` Skipped (nothing to spool): ${i.skipped.join(', ')}.` : ''),
    );
  }
  const insertTable = run.inserts
    ? table([
        ['table', 'rows written by the processor', 'insert calls', 'processor insert s', 'ceiling insert s', 'ceiling rows/s'],
        ...Object.entries(run.inserts.result.perTable)
          .sort((a, b) => b[1].rows - a[1].rows)
          .map(([t, v]) => {
            const proc = (p.inserts[t]?.seconds ?? 0) + (r?.inserts[t]?.seconds ?? 0);
            return [t, fmt(v.rows), fmt(v.calls), proc.toFixed(1), v.seconds.toFixed(1), fmt(v.rows / v.seconds)];
          }),
        ...Object.entries(run.inserts.excluded).map(([t, v]) => [`${t} (state; not in the ceiling)`, fmt(v.rows), fmt(v.calls), v.seconds.toFixed(1), '–', '–']),
      ])
    : '';

  // --- processing
  const marks = p.deciles;
  const decileRows: string[][] = [['decile of events', 'ends at', 'events/s', 'CPU-s / 100k', 'RSS at end', 'heap at end', 'flushes', 'flush p50', 'flush p95', 'flush p99']];
  const decileRates: number[] = [];
  for (let k = 1; k < marks.length; k++) {
    const a = marks[k - 1]!;
    const b = marks[k]!;
    const n = events / 10;
    const h = histogramDelta(b.flushes, a.flushes);
    decileRates.push((n / (b.t - a.t)) * 1000);
    decileRows.push([
      `${(k - 1) * 10}–${k * 10} %`,
      s1(b.t),
      fmt(decileRates.at(-1)!),
      ((b.cpuMs - a.cpuMs) / 1000 / (n / 100_000)).toFixed(2),
      mb(b.rss),
      mb(b.heapUsed),
      fmt(h.count),
      ms(histogramQuantile(h, 0.5)),
      ms(histogramQuantile(h, 0.95)),
      ms(histogramQuantile(h, 0.99)),
    ]);
  }
  const allFlushes = marks.length > 1 ? histogramDelta(marks.at(-1)!.flushes, marks[0]!.flushes) : undefined;
  const processLines = [
    `Processor (\`startProcessor\`, ${run.client}, own process, fresh embedded store, group of its own; flush ${fmt(p.settings.flushMaxMessages)} msgs / ${p.settings.flushIntervalMs} ms, CS_IDLE_FLUSH ${p.settings.idleFlushMs} ms, snapshot every ${p.settings.snapshotEvery} flushes): ` +
      `${fmt(rate)} events/s overall (${fmt(p.timedOut ? p.processed : events)} events from startProcessor() to every event visible in ${s1(p.endMs)}${p.timedOut ? ' — TIMED OUT before every event was visible' : ''}; ` +
      `started in ${s1(p.startMs)}, first event stepped at ${s1(p.firstEventMs)}, every event stepped at ${s1(p.steppedMs)}).`,
    `CPU: ${cpuPer100k.toFixed(2)} CPU-s per 100k events (${fmt((p.cpuMs / p.endMs) * 100)} % of a core, all threads); main thread busy ${fmt(p.elu * 100)} %, GC pauses ${s1(p.gcMs)}.`,
    `Memory (sampled every second): peak RSS ${mb(mem.peakRss)}${split(mem.atPeak)}, steady RSS ${mb(mem.steadyRss)} (median of the last half of the processing); peak JS heap ${mb(mem.peakHeap)}, steady ${mb(mem.steadyHeap)}` +
      (memB ? `; the restored worker (restore and close): peak RSS ${mb(memB.peakRss)}${split(memB.atPeak)}, peak heap ${mb(memB.peakHeap)}.` : '.'),
    `Flushes: ${kv(p.flushesByKind)}; flush duration (intent to done) over the day p50 ${ms(allFlushes ? histogramQuantile(allFlushes, 0.5) : NaN)}, p95 ${ms(allFlushes ? histogramQuantile(allFlushes, 0.95) : NaN)}, p99 ${ms(allFlushes ? histogramQuantile(allFlushes, 0.99) : NaN)} (from cs_processor_flush_duration_seconds; interpolated inside its buckets).`,
    `Flush phases, mean per flush (cs_processor_flush_phase_seconds): ${Object.entries(p.phases ?? {})
      .map(([phase, t]) => `${phase} ${ms(t.count ? t.seconds / t.count : NaN)}`)
      .join(', ')}; the processor's inserts per table (calls, seconds): ${Object.entries(p.inserts)
      .map(([table, t]) => `${table} ${fmt(t.calls)}, ${t.seconds.toFixed(1)} s`)
      .join('; ')}.`,
    `Events not ok (processor counters): ${kv(p.notOk)}; dead letters in cs.dead_letters after the close: ${r ? kv(r.deadLetters) : 'n/a'}.`,
  ];

  // --- restore and finality
  const restoreLines: string[] = [];
  if (run.restore && rt && r) {
    restoreLines.push(
      `SIGKILL of the processor ${killedAfter}, once every event was visible and before the close of the day's windows (CS_IDLE_FLUSH ${p.settings.idleFlushMs} ms had not passed${p.closeBegun ? '; BUT an idle flush had already moved a partition past the day: the close had begun' : ''}).`,
      `Restore (a new worker on the same store and group, CS_IDLE_FLUSH ${run.restore.idleFlush}): from spawn, partitions assigned at ${s1(rt.assignedMs)} (a killed member holds its partitions until its session times out: PROCESSOR_SESSION_TIMEOUT ${fmt(p.settings.sessionTimeoutMs)} ms), ` +
        `${rt.partitionsRestored} / ${rt.partitionsExpected} partitions restored at ${s1(rt.restoredMs)} (${fmt(rt.keys)} state keys; ${s1(rt.restoredMs - rt.assignedMs)} after the assignment), startProcessor() resolved at ${s1(rt.startedMs)}, first flush at ${s1(rt.firstFlushMs)}.`,
      `Every figure final: ${rt.allFinalMs >= 0 ? `${s1(rt.allFinalMs)} after the restored worker's spawn, ${s1(rt.allFinalMs - rt.firstFlushMs)} after its first flush (the close of the day's windows, including CS_IDLE_FLUSH and the 2 s pipeline-clock poll)` : 'NOT reached before the deadline'}; ` +
        `time until final as a whole ≈ processing ${s1(p.visibleMs)} + close ${s1(rt.allFinalMs - rt.firstFlushMs)}.`,
    );
    const lastFinal = r.finality.filter((f) => f.finalAtMs >= 0).sort((a, b) => b.finalAtMs - a.finalAtMs)[0];
    if (lastFinal) restoreLines.push(`Last metric to become final: ${lastFinal.metric}.`);
    const cannot = r.finality.filter((f) => f.cannot && f.finalAtMs < 0);
    const late = r.finality.filter((f) => !f.cannot && f.finalAtMs < 0);
    if (cannot.length) restoreLines.push(`Cannot be final yet: ${cannot.map((f) => `${f.metric} (settled up to ${new Date(f.settledMs).toISOString()}: ${f.cannot})`).join('; ')}.`);
    if (late.length) restoreLines.push(`NOT final although they could be: ${late.map((f) => `${f.metric} (settled up to ${new Date(f.settledMs).toISOString()}, needs ${new Date(f.needMs).toISOString()})`).join('; ')}.`);
    restoreLines.push(`Day-grain rows of cs.metrics not final at the end: ${kv(r.notFinalRows)}.`);
  }

  // --- live
  const liveLines: string[] = [];
  let verdict: ReturnType<typeof liveVerdict> | undefined;
  if (run.live) {
    const l = run.live;
    verdict = liveVerdict(l);
    const lags = l.samples.map((s) => s.lag);
    const rss = l.samples.map((s) => s.rss);
    liveLines.push(
      `Live check: the live simulator (flat rate) at 3 × the day's mean = ${fmt(l.targetEventsPerSecond)} events/s target, ${fmt(l.sentEventsPerSecond)} sent on average (${fmt(verdict.windowRate)} in the window below; a contact's events spread over its life, so the first minutes send less), for ${l.minutes} min into a processor on the day's store and group; sampled every 5 s.`,
      `Consumer lag (messages): start ${fmt(lags[0] ?? NaN)}, end ${fmt(lags.at(-1) ?? NaN)}, max ${fmt(Math.max(...lags))}; RSS start ${mb(rss[0] ?? NaN)}, end ${mb(rss.at(-1) ?? NaN)}, max ${mb(Math.max(...rss))}.`,
      `Flatness over the last ${s1(verdict.windowMs)} (${verdict.samples} samples, least-squares fit): lag rises ${fmt(verdict.lagRise)} messages (flat if ≤ ${FLAT.lagSecondsOfInput} s of input = ${fmt(verdict.lagLimit)}): ${verdict.lagFlat ? 'flat' : 'NOT flat'}; ` +
        `RSS rises ${mb(verdict.rssRise)} (flat if ≤ ${FLAT.rssShare * 100} % of its mean = ${mb(verdict.rssLimit)}): ${verdict.rssFlat ? 'flat' : 'NOT flat'}. Events not ok: ${kv(l.notOk)}.`,
    );
  }

  // --- targets
  const targetRows: string[][] = [['target (issue 9)', 'measured', 'result', 'measured / target']];
  const check = (name: string, measured: string, pass: boolean | undefined, ratioText: string) => targetRows.push([name, measured, pass === undefined ? 'not measured' : pass ? 'pass' : 'FAIL', ratioText]);
  const x = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a');
  check('processing ≥ 50,000 events/s over the day', `${fmt(rate)} events/s`, !p.timedOut && rate >= 50_000, x(rate, 50_000));
  check(`processing ≥ 0.4 × the slower ceiling (${fmt(slowerCeiling)} ${slowerCeiling === run.rawConsume.rate ? 'raw consume' : 'inserts'})`, `${(rate / slowerCeiling).toFixed(2)} × the ceiling`, run.inserts ? rate >= 0.4 * slowerCeiling : undefined, x(rate, 0.4 * slowerCeiling));
  const first = decileRates[0] ?? NaN;
  const lastDecile = decileRates.at(-1) ?? NaN;
  check('last decile ≥ 0.8 × first decile', `${fmt(lastDecile)} vs ${fmt(first)} events/s`, decileRates.length === 10 ? lastDecile >= 0.8 * first : undefined, x(lastDecile, 0.8 * first));
  check('peak RSS ≤ 1.5 GiB', mb(peakRss), peakRss <= 1.5 * GiB, x(peakRss, 1.5 * GiB));
  check('JS heap ≤ 512 MiB (peak heap used)', mb(peakHeap), peakHeap <= 512 * MiB, x(peakHeap, 512 * MiB));
  check('≤ 1.5 CPU-s per 100k events', cpuPer100k.toFixed(2), cpuPer100k <= 1.5, x(cpuPer100k, 1.5));
  const restoreMs = rt ? (rt.restoredMs >= 0 ? rt.restoredMs : rt.startedMs) : NaN;
  check('restore after SIGKILL with a full day of state ≤ 60 s', s1(restoreMs), rt ? restoreMs >= 0 && restoreMs <= 60_000 : undefined, x(restoreMs, 60_000));
  check('live check at 3 × mean: lag flat', verdict ? `rise ${fmt(verdict.lagRise)} msgs (limit ${fmt(verdict.lagLimit)})` : 'skipped', verdict?.lagFlat, '');
  check('live check at 3 × mean: RSS flat', verdict ? `rise ${mb(verdict.rssRise)} (limit ${mb(verdict.rssLimit)})` : 'skipped', verdict?.rssFlat, '');
  const dead = r ? Object.values(r.deadLetters).reduce((a, b) => a + b, 0) : NaN;
  check('0 dead letters for the clean day', r ? fmt(dead) : 'n/a', r ? dead === 0 : undefined, '');
  const openMetrics = r ? r.finality.filter((f) => !f.cannot && f.finalAtMs < 0).length : NaN;
  check('every figure final (that can be)', r ? `${r.finality.length - openMetrics} / ${r.finality.length} metrics` : 'n/a', r ? openMetrics === 0 && rt!.allFinalMs >= 0 : undefined, '');
  const targets = table(targetRows);

  const m = run.machine;
  const machineLine = `Machine: ${m.nproc} CPUs (\`nproc\`), ${m.memGiB} GiB RAM, CPU \`${m.cpu}\`, Node ${m.node}, Linux ${m.kernel}, UV_THREADPOOL_SIZE ${m.threadpool}; broker ${run.brokers.join(',')} (same box); commit ${m.commit}; 1-min load average ${run.loadBefore} before, ${run.loadAfter} after (other work on the box shows here).`;
  const body = [
    ...dayLines,
    ...ceilingLines,
    ...processLines,
    ...restoreLines,
    ...liveLines,
  ];
  const stamp = run.when.toISOString().replace('T', ' ').slice(0, 16);
  return [
    '',
    `## ${stamp} UTC — \`npm run bench:seed\``,
    '',
    `- ${machineLine}`,
    `- Command: \`${run.command}\` (wall time ${s1(run.wallMs)}).`,
    ...body.map((l) => `- ${l}`),
    '',
    '**Per decile of the day\'s events** (decile 1 is timed from startProcessor() resolved; the events counter moves a flush at a time, so a decile\'s end is interpolated between the readings around it):',
    '',
    table(decileRows),
    '',
    ...(insertTable ? ['**Inserts per table**: the processor\'s (summed over its concurrent calls) and the ceiling\'s:', '', insertTable, ''] : []),
    '**Targets**',
    '',
    targets,
    '',
    ...run.notes.map((n) => `${n}\n`),
  ].join('\n');
}
