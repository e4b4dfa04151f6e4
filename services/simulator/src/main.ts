/**
 * Traffic simulator CLI (`npm run simulate -- [flags]`).
 *
 *   live     (default) events in real time (event_time = now), sent to Kafka via the producer SDK
 *   history  N whole days at full speed, to Kafka or, with --out, to a JSONL file for `npm run replay`
 */
import { createWriteStream, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, createLogger, envReader, gracefulShutdown, isValidTimeZone, parseDuration, startDefaultMetrics, startServiceHttp, type Logger } from '@cs/runtime';
import type { EventProducer } from '@cs/producer';
import { parseSurge, type Surge, type VolumeEvent } from './calendar.ts';
import { createTrafficGenerator, type TopicEvent } from './generator.ts';
import { toJsonLine } from './jsonl.ts';
import { DEFAULT_LIVE_RATE_PER_MINUTE, startLiveSimulator, type LiveSimulator } from './live.ts';
import { Summarizer } from './summary.ts';
import { DAY, ZoneClock, parseDate } from './zone.ts';

const USAGE = `usage: npm run simulate -- [flags]

Generates realistic customer-service traffic (SPEC §3) for all seven topics.

modes
  --mode live|history     live (default): real time, event_time = now, sent to Kafka
                          history: whole days at full speed, to Kafka or to --out
flags                                                     env default
  --seed N                random seed (same seed, same traffic)    SIM_SEED (1)
  --tz ZONE               IANA zone of the daily curve           CS_TIMEZONE (UTC)
  --products N            number of products (real operation: 420) SIM_PRODUCTS (60)
  --duplicate-rate P      re-send P of events with the same event_id  SIM_DUPLICATE_RATE (0)
  --disorder-ms N         shuffle events within N ms of event time    SIM_DISORDER_MS (0)
  --batch-size N          events per producer send                SIM_BATCH_SIZE (500 live, 2000 history)
live
  --rate N                contacts per minute (≈ 6 events each)   SIM_RATE (${DEFAULT_LIVE_RATE_PER_MINUTE} ≈ 50 events/s)
  --diurnal               follow the daily curve around --rate    SIM_DIURNAL (false)
  --duration D            stop after D (e.g. 90s, 10m, 2h)         SIM_DURATION (run until Ctrl-C)
  /healthz, /readyz (200 while sending) and Prometheus /metrics on
                          SIM_HTTP_HOST (127.0.0.1) : SIM_HTTP_PORT (9402; 0 = any free port)
history
  --days N                number of days                          SIM_DAYS (1)
  --start YYYY-MM-DD      first day, local in --tz                SIM_START (the N days before today)
  --contacts-per-day N    mean contacts per day                   SIM_CONTACTS_PER_DAY (100000)
  --calendar C            volume calendar: default (holidays, 618, Double 11, payday, campaigns),
                          none, or a JSON file of events (services/simulator/README.md)   SIM_CALENDAR (default)
  --trend G               compounding volume growth per week, e.g. 0.005 = +0.5 %/week   SIM_TREND (0)
  --surge S               unannounced surge, local time in --tz, repeatable:
                          YYYY-MM-DDTHH:MM/<N>h|m/x<factor>[/bu=a,b][/channel=HOTLINE]   SIM_SURGE (none)
  --out FILE              write JSONL ({"topic":...,...event}) instead of Kafka; - = stdout   SIM_OUT
  --summary               print aggregate figures (shares, rates, AHT…) at the end

Kafka connection settings come from the producer SDK's environment (KAFKA_BROKERS, …).
Ctrl-C stops gracefully: events already generated are flushed first.
`;

class UsageError extends Error {}

interface Cli {
  mode: 'live' | 'history';
  seed: number;
  timeZone: string;
  products: number;
  duplicateRate: number;
  disorderMs: number;
  batchSize: number | undefined;
  rate: number;
  diurnal: boolean;
  durationMs: number | undefined;
  days: number;
  start: string | undefined;
  contactsPerDay: number;
  calendar: readonly VolumeEvent[] | undefined;
  trendPerWeek: number;
  surges: Surge[];
  out: string | undefined;
  summary: boolean;
  /** Live mode's /healthz, /readyz, /metrics. */
  httpHost: string;
  httpPort: number;
}

function parseCli(argv: string[], env: Record<string, string | undefined>): Cli | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      mode: { type: 'string' },
      seed: { type: 'string' },
      tz: { type: 'string' },
      products: { type: 'string' },
      'duplicate-rate': { type: 'string' },
      'disorder-ms': { type: 'string' },
      'batch-size': { type: 'string' },
      rate: { type: 'string' },
      diurnal: { type: 'boolean' },
      duration: { type: 'string' },
      days: { type: 'string' },
      start: { type: 'string' },
      'contacts-per-day': { type: 'string' },
      calendar: { type: 'string' },
      trend: { type: 'string' },
      surge: { type: 'string', multiple: true },
      out: { type: 'string' },
      summary: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const r = envReader(env);
  // A flag wins over its env variable; both are checked the same way.
  const num = (flag: string, name: string, fallback: number, check: (n: number) => boolean, what: string): number => {
    const raw = (values as Record<string, string | boolean | undefined>)[flag];
    const text = typeof raw === 'string' ? raw : r.optional(name);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || !check(n)) throw new UsageError(`--${flag} (${name}) must be ${what}, got "${text}"`);
    return n;
  };
  const int = (n: number) => Number.isInteger(n);
  const mode = values.mode ?? r.oneOf('SIM_MODE', ['live', 'history'] as const, 'live');
  if (mode !== 'live' && mode !== 'history') throw new UsageError(`--mode must be live or history, got "${mode}"`);
  const timeZone = values.tz ?? r.timeZone('CS_TIMEZONE', 'UTC');
  if (!isValidTimeZone(timeZone)) throw new UsageError(`--tz must be an IANA time zone (e.g. UTC, Asia/Shanghai), got "${timeZone}"`);
  const durationText = values.duration ?? r.optional('SIM_DURATION');
  let durationMs: number | undefined;
  if (durationText !== undefined) {
    try {
      durationMs = parseDuration(durationText);
    } catch (e) {
      throw new UsageError(`--duration: ${(e as Error).message}`);
    }
  }
  const start = values.start ?? r.optional('SIM_START');
  if (start !== undefined) {
    try {
      parseDate(start);
    } catch (e) {
      throw new UsageError(`--start: ${(e as Error).message}`);
    }
  }
  const batch = num('batch-size', 'SIM_BATCH_SIZE', 0, (n) => int(n) && n > 0, 'a positive integer');
  const calendarText = values.calendar ?? r.string('SIM_CALENDAR', 'default');
  let calendar: readonly VolumeEvent[] | undefined;
  if (calendarText === 'none') calendar = [];
  else if (calendarText !== 'default') {
    try {
      calendar = JSON.parse(readFileSync(calendarText, 'utf8')) as VolumeEvent[];
    } catch (e) {
      throw new UsageError(`--calendar: ${calendarText}: ${(e as Error).message}`);
    }
    if (!Array.isArray(calendar)) throw new UsageError(`--calendar: ${calendarText} must hold a JSON array of events`);
  }
  const zone = new ZoneClock(timeZone);
  const surgeTexts = values.surge ?? (r.optional('SIM_SURGE')?.split(';') ?? []);
  let surges: Surge[];
  try {
    surges = surgeTexts.map((text) => parseSurge(text, (y, mo, d, h, mi) => zone.toUtc(y, mo, d, h, mi)));
  } catch (e) {
    throw new UsageError(`--surge: ${(e as Error).message}`);
  }
  return {
    mode,
    seed: num('seed', 'SIM_SEED', 1, (n) => int(n) && n >= 0, 'a non-negative integer'),
    timeZone,
    products: num('products', 'SIM_PRODUCTS', 60, (n) => int(n) && n >= 7, 'an integer ≥ 7'),
    duplicateRate: num('duplicate-rate', 'SIM_DUPLICATE_RATE', 0, (n) => n >= 0 && n < 1, 'a probability in [0, 1)'),
    disorderMs: num('disorder-ms', 'SIM_DISORDER_MS', 0, (n) => int(n) && n >= 0, 'a non-negative integer'),
    batchSize: batch > 0 ? batch : undefined,
    rate: num('rate', 'SIM_RATE', DEFAULT_LIVE_RATE_PER_MINUTE, (n) => n > 0, 'a positive number'),
    diurnal: values.diurnal ?? r.bool('SIM_DIURNAL', false),
    durationMs,
    days: num('days', 'SIM_DAYS', 1, (n) => int(n) && n >= 1, 'a positive integer'),
    start,
    contactsPerDay: num('contacts-per-day', 'SIM_CONTACTS_PER_DAY', 100_000, (n) => n > 0, 'a positive number'),
    calendar,
    trendPerWeek: num('trend', 'SIM_TREND', 0, (n) => n > -1 && n < 1, 'a growth rate per week in (-1, 1)'),
    surges,
    out: values.out ?? r.optional('SIM_OUT'),
    summary: values.summary ?? false,
    httpHost: r.string('SIM_HTTP_HOST', '127.0.0.1'),
    httpPort: r.int('SIM_HTTP_PORT', 9402),
  };
}

async function openProducer(log: Logger): Promise<EventProducer> {
  // Imported lazily: the generator (and --out runs) need no Kafka at all.
  const { createEventProducer } = await import('@cs/producer');
  log.info('connecting to Kafka');
  return createEventProducer();
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** A status line on stderr: rewritten in place on a terminal, one line per update otherwise. */
function statusLine(text: string, final = false): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${text}${final ? '\n' : ''}`);
  else process.stderr.write(`${text}\n`);
}

// ---- history ------------------------------------------------------------------------------------

interface Sink {
  write(batch: TopicEvent[]): Promise<void>;
  close(): Promise<void>;
}

function fileSink(path: string): Sink {
  const stream: NodeJS.WritableStream = path === '-' ? process.stdout : createWriteStream(path);
  const failed = new Promise<never>((_, reject) => stream.once('error', reject));
  failed.catch(() => {});
  let sinceYield = 0;
  return {
    async write(batch) {
      let text = '';
      for (const e of batch) text += toJsonLine(e);
      const ok = stream.write(text);
      sinceYield += batch.length;
      if (!ok) await Promise.race([new Promise<void>((resolve) => stream.once('drain', () => resolve())), failed]);
      else if (sinceYield >= 50_000) {
        // Let signals and timers in now and then even when the disk keeps up.
        sinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
    async close() {
      if (stream === process.stdout) return;
      await Promise.race([new Promise<void>((resolve) => stream.end(() => resolve())), failed]);
    },
  };
}

function producerSink(producer: EventProducer): Sink {
  return {
    write: (batch) => producer.send(batch),
    close: () => producer.close(),
  };
}

async function runHistory(cli: Cli, log: Logger): Promise<number> {
  const zone = new ZoneClock(cli.timeZone);
  const wall = Date.now();
  let first;
  if (cli.start) first = parseDate(cli.start);
  else {
    const today = zone.localDate(wall);
    const d = new Date(Date.UTC(today.year, today.month - 1, today.day - cli.days));
    first = { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
  }
  const start = zone.toUtc(first.year, first.month, first.day);
  let end = zone.toUtc(first.year, first.month, first.day + cli.days);
  if (start >= wall) throw new UsageError(`--start ${zone.dateString(start)} is not in the past`);
  if (end > wall) {
    log.warn({ requestedEnd: new Date(end).toISOString() }, 'window reaches into the future; cut at now (the pipeline dead-letters future events)');
    end = wall;
  }

  const gen = createTrafficGenerator({
    seed: cli.seed,
    start,
    end,
    contactsPerDay: cli.contactsPerDay,
    timeZone: cli.timeZone,
    products: cli.products,
    duplicateRate: cli.duplicateRate,
    disorderMs: cli.disorderMs,
    ...(cli.calendar !== undefined ? { calendar: cli.calendar } : {}),
    trendPerWeek: cli.trendPerWeek,
    surges: cli.surges,
  });
  const sink = cli.out !== undefined ? fileSink(cli.out) : producerSink(await openProducer(log));
  const batchSize = cli.batchSize ?? (cli.out !== undefined ? 4096 : 2000);
  const summarizer = cli.summary ? new Summarizer(cli.timeZone) : null;
  log.info(
    { mode: 'history', seed: cli.seed, timeZone: cli.timeZone, from: new Date(start).toISOString(), to: new Date(end).toISOString(), contactsPerDay: cli.contactsPerDay, out: cli.out ?? 'kafka', idPrefix: gen.options.idPrefix },
    'generating history',
  );

  let stopRequested = false;
  const shutdown = gracefulShutdown(log);
  let finished: Promise<void> = Promise.resolve();
  shutdown.add('history', async () => {
    stopRequested = true;
    await finished.catch(() => {});
  });
  shutdown.onSignals();

  const totalDays = Math.max(1, Math.round((end - start) / DAY));
  const began = performance.now();
  let written = 0;
  let lastProgress = began;
  let lastWritten = 0;
  const progress = (final: boolean) => {
    const t = performance.now();
    const rate = final ? written / Math.max(0.001, (t - began) / 1000) : (written - lastWritten) / Math.max(0.001, (t - lastProgress) / 1000);
    const simTime = gen.stats().lastEventTime;
    const day = Math.min(totalDays, Math.floor((simTime - start) / DAY) + 1);
    statusLine(`[simulate] ${fmt(written)} events  ${fmt(rate)} ev/s  day ${zone.dateString(simTime)} (${day}/${totalDays})${final ? '  done' : ''}`, final);
    lastProgress = t;
    lastWritten = written;
  };

  finished = (async () => {
    let batch: TopicEvent[] = [];
    for (const e of gen) {
      batch.push(e);
      summarizer?.add(e);
      if (batch.length >= batchSize) {
        await sink.write(batch);
        written += batch.length;
        batch = [];
        if (performance.now() - lastProgress >= 1000) progress(false);
        if (stopRequested) break;
      }
    }
    if (batch.length) {
      await sink.write(batch);
      written += batch.length;
    }
    await sink.close();
  })();
  await finished;
  progress(true);
  const s = gen.stats();
  log.info({ events: written, contacts: s.contacts, byTopic: s.byTopic, seconds: (performance.now() - began) / 1000, interrupted: stopRequested }, 'history done');
  if (summarizer) {
    const text = JSON.stringify(summarizer.result(), (_k, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v), 2);
    (cli.out === '-' ? process.stderr : process.stdout).write(`${text}\n`);
  }
  return 0;
}

// ---- live -----------------------------------------------------------------------------------------

async function runLive(cli: Cli, log: Logger): Promise<number> {
  const shutdown = gracefulShutdown(log);
  // Like every service: probes and metrics from the start (not ready until sending), closed last.
  startDefaultMetrics();
  let sim: LiveSimulator | undefined;
  const http = await startServiceHttp({ host: cli.httpHost, port: cli.httpPort, ready: () => sim?.stats().running === true });
  shutdown.add('http', () => http.close());
  log.info({ host: cli.httpHost, port: http.port }, 'health, readiness and metrics listening');
  const producer = await openProducer(log).catch(async (err: unknown) => {
    await shutdown.stop('no producer');
    throw err;
  });
  shutdown.add('producer', () => producer.close());
  const live = startLiveSimulator(
    {
      ratePerMinute: cli.rate,
      seed: cli.seed,
      timeZone: cli.timeZone,
      products: cli.products,
      diurnal: cli.diurnal,
      duplicateRate: cli.duplicateRate,
      disorderMs: cli.disorderMs,
      ...(cli.batchSize !== undefined ? { batchSize: cli.batchSize } : {}),
      ...(cli.durationMs !== undefined ? { durationMs: cli.durationMs } : {}),
      logger: log,
      progressMs: 60_000,
    },
    producer,
  );
  sim = live;
  shutdown.add('simulator', () => live.stop());
  shutdown.onSignals();
  const show = (final = false) => {
    const s = live.stats();
    statusLine(
      `[simulate live] ${fmt(s.sent)} events sent  ${fmt(s.eventsPerSecond)} ev/s  ${fmt(s.contacts)} contacts  lag ${fmt(s.lagMs)} ms${s.failedSends ? `  ${s.failedSends} failed sends (last: ${s.lastError})` : ''}`,
      final,
    );
  };
  const timer = setInterval(show, process.stderr.isTTY ? 1000 : 5000);
  await live.done;
  clearInterval(timer);
  show(true);
  await shutdown.stop('finished');
  return live.stats().dropped > 0 ? 1 : 0;
}

// ---- entry ------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  let cli: Cli | 'help';
  try {
    cli = parseCli(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`simulate: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (cli === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const log = createLogger('simulator');
  try {
    return cli.mode === 'history' ? await runHistory(cli, log) : await runLive(cli, log);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`simulate: ${err.message}\n`);
      return 2;
    }
    log.error({ err }, 'simulator failed');
    process.stderr.write(`simulate: ${(err as Error).message}\n`);
    return 1;
  }
}

process.exitCode = await main();
// Kafka clients may keep sockets open a moment after close; do not wait for them.
setTimeout(() => process.exit(), 200).unref();
