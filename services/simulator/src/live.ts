/**
 * Live mode: the generator run against the wall clock. The window starts now and never ends;
 * events are released when their event_time is reached (so event_time ≈ now when sent) and
 * go to the producer in small batches. A failing send is retried with back-off while holding
 * generation back (nothing is dropped); stop() sends what is already due, then resolves.
 */
import type { EventProducer } from '@cs/producer';
import { counter, gauge, type Logger } from '@cs/runtime';
import type { Topic } from '@cs/schemas';
import { createTrafficGenerator, type SimProbabilities, type TopicEvent } from './generator.ts';

export interface LiveOptions {
  /** Contacts per minute (mean). Default 480 (≈ 50 events/s). */
  ratePerMinute?: number;
  seed?: number;
  timeZone?: string;
  products?: number;
  /** Modulate the rate by the diurnal/weekly curve around ratePerMinute. Default false (flat). */
  diurnal?: boolean;
  /** Max events per producer.send. Default 500. */
  batchSize?: number;
  /** Longest pause between two checks for due events, ms. Default 100. */
  tickMs?: number;
  /** Progress log interval (needs `logger`), ms. Default 10 000; 0 = off. */
  progressMs?: number;
  /** Stop by itself after this long, ms (stats().running turns false). */
  durationMs?: number;
  logger?: Logger;
  probabilities?: Partial<SimProbabilities>;
  duplicateRate?: number;
  disorderMs?: number;
  idPrefix?: string;
  /**
   * How long stop() waits for an in-flight send (a Kafka client may retry for ~25 s when the
   * broker is gone) before giving up on it, ms. Default 10 000.
   */
  stopTimeoutMs?: number;
  /** Clock, for tests. Default Date.now. */
  now?: () => number;
}

// Prometheus, in whichever process runs a live simulator (its own service, or `npm start`).
const sentTotal = counter('cs_simulator_events_sent_total', 'Events the live simulator had acknowledged by Kafka', ['topic']);
const sendFailures = counter('cs_simulator_send_failures_total', 'Failed send attempts of the live simulator (retried unless dropped)');
const droppedTotal = counter('cs_simulator_events_dropped_total', 'Events the live simulator gave up on (invalid, or failing at stop)');
const lagSeconds = gauge('cs_simulator_lag_seconds', 'How far sending is behind event time (0 when keeping up)');

/** The default live rate: about 50 events per second. */
export const DEFAULT_LIVE_RATE_PER_MINUTE = 480;

export interface LiveStats {
  running: boolean;
  startedAt: number;
  /** Events acknowledged by the producer. */
  sent: number;
  byTopic: Partial<Record<Topic, number>>;
  contacts: number;
  /** Send attempts that failed (then retried) and events given up (invalid, or failing at stop). */
  failedSends: number;
  dropped: number;
  /** Mean events per second since start. */
  eventsPerSecond: number;
  /** How far sending is behind event time, ms (0 when keeping up). */
  lagMs: number;
  lastError: string | null;
}

export interface LiveSimulator {
  stop(): Promise<void>;
  stats(): LiveStats;
  /** Settles when the loop ends (after stop() or durationMs). */
  readonly done: Promise<void>;
}

export function startLiveSimulator(opts: LiveOptions, producer: EventProducer): LiveSimulator {
  const now = opts.now ?? Date.now;
  const ratePerMinute = opts.ratePerMinute ?? DEFAULT_LIVE_RATE_PER_MINUTE;
  if (!(ratePerMinute > 0)) throw new RangeError('ratePerMinute must be > 0');
  const batchSize = Math.max(1, opts.batchSize ?? 500);
  const tickMs = Math.max(1, opts.tickMs ?? 100);
  const log = opts.logger;
  const startedAt = now();
  const seed = opts.seed ?? 1;
  const gen = createTrafficGenerator({
    seed,
    start: startedAt,
    end: Infinity,
    contactsPerDay: ratePerMinute * 1440,
    timeZone: opts.timeZone ?? 'UTC',
    diurnal: opts.diurnal ?? false,
    ...(opts.products !== undefined ? { products: opts.products } : {}),
    ...(opts.probabilities ? { probabilities: opts.probabilities } : {}),
    ...(opts.duplicateRate !== undefined ? { duplicateRate: opts.duplicateRate } : {}),
    ...(opts.disorderMs !== undefined ? { disorderMs: opts.disorderMs } : {}),
    // Unique per start, so consecutive live runs never reuse ids (or event_ids).
    idPrefix: opts.idPrefix ?? `${seed}-${startedAt.toString(36)}`,
  });
  const it = gen[Symbol.iterator]();
  let next = it.next();

  const stats: LiveStats = {
    running: true,
    startedAt,
    sent: 0,
    byTopic: {},
    contacts: 0,
    failedSends: 0,
    dropped: 0,
    eventsPerSecond: 0,
    lagMs: 0,
    lastError: null,
  };
  const endAt = opts.durationMs !== undefined ? startedAt + opts.durationMs : Infinity;
  let stopping = false;
  let wake: (() => void) | null = null;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wake = null;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(timer);
        wake = null;
        resolve();
      };
    });

  /** Takes up to batchSize events due at `at`. */
  const take = (at: number): TopicEvent[] => {
    const batch: TopicEvent[] = [];
    while (!next.done && next.value.event.event_time <= at && batch.length < batchSize) {
      batch.push(next.value);
      next = it.next();
    }
    return batch;
  };

  const record = (batch: TopicEvent[]): void => {
    stats.sent += batch.length;
    for (const { topic, event } of batch) {
      stats.byTopic[topic] = (stats.byTopic[topic] ?? 0) + 1;
      sentTotal.inc({ topic });
      if (topic === 'cs.sessions' && event.type === 'STARTED') stats.contacts++;
    }
  };

  /** Sends a batch, retrying transient failures; gives up on invalid events or when stopping. */
  const send = async (batch: TopicEvent[]): Promise<void> => {
    let backoff = 250;
    for (;;) {
      try {
        await producer.send(batch);
        record(batch);
        return;
      } catch (err) {
        stats.failedSends++;
        sendFailures.inc();
        stats.lastError = (err as Error).message;
        const invalid = err instanceof Error && 'issues' in err;
        if (invalid || stopping || now() >= endAt) {
          stats.dropped += batch.length;
          droppedTotal.inc(batch.length);
          log?.error({ err, events: batch.length, invalid }, invalid ? 'simulator produced an invalid event; batch dropped' : 'send failed while stopping; batch dropped');
          return;
        }
        log?.warn({ err, retryInMs: backoff }, 'send failed; retrying');
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  };

  const progressMs = opts.progressMs ?? 10_000;
  let lastProgress = startedAt;
  const progress = (t: number): void => {
    if (!log || progressMs <= 0 || t - lastProgress < progressMs) return;
    lastProgress = t;
    const s = snapshot();
    log.info({ sent: s.sent, contacts: s.contacts, eventsPerSecond: Math.round(s.eventsPerSecond), lagMs: s.lagMs, byTopic: s.byTopic }, 'simulator progress');
  };

  const lagAt = (t: number): number => (!next.done && next.value.event.event_time < t ? t - next.value.event.event_time : 0);

  const snapshot = (): LiveStats => {
    const t = now();
    const lag = lagAt(t);
    return { ...stats, byTopic: { ...stats.byTopic }, eventsPerSecond: stats.sent / Math.max(0.001, (t - startedAt) / 1000), lagMs: lag };
  };

  log?.info({ ratePerMinute, seed, timeZone: gen.options.timeZone, diurnal: gen.options.diurnal, idPrefix: gen.options.idPrefix }, 'live simulator started');

  const loop = async (): Promise<void> => {
    while (!stopping) {
      const t = now();
      lagSeconds.set(lagAt(t) / 1000);
      if (t >= endAt) break;
      const batch = take(Math.min(t, endAt - 1));
      if (batch.length > 0) {
        await send(batch);
        progress(now());
        continue; // drain a backlog before sleeping
      }
      progress(t);
      const due = next.done ? Infinity : next.value.event.event_time;
      await sleep(Math.max(1, Math.min(tickMs, due - t, endAt - t)));
    }
    // Flush: everything already due goes out before we report stopped.
    const until = Math.min(now(), endAt - 1);
    for (let batch = take(until); batch.length > 0; batch = take(until)) await send(batch);
  };

  const done = loop()
    .catch((err: Error) => {
      stats.lastError = err.message;
      log?.error({ err }, 'live simulator failed');
    })
    .finally(() => {
      stats.running = false;
      log?.info({ sent: stats.sent, contacts: stats.contacts, dropped: stats.dropped }, 'live simulator stopped');
    });

  return {
    done,
    stats: snapshot,
    async stop() {
      stopping = true;
      wake?.();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), opts.stopTimeoutMs ?? 10_000);
      });
      const outcome = await Promise.race([done.then(() => 'done' as const), timeout]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        stats.running = false;
        log?.warn({ stopTimeoutMs: opts.stopTimeoutMs ?? 10_000 }, 'live simulator: a send is still in flight at stop; not waiting for it');
      }
    },
  };
}
