/**
 * The generated alert rules, evaluated as Grafana evaluates them (packages/dashboards/src/evaluate.ts:
 * the ClickHouse plugin's macro expansion, the table-to-numbers conversion, the threshold) on live
 * figures the real processor writes from events sent through the real broker:
 *
 * - each metric rule fires, within its window, for the business unit whose injected traffic breaches
 *   the target, and for no other: the units whose traffic meets it are judged and stay quiet;
 * - the pipeline-health rules stay quiet while events flow, the dead-letter rule fires on a burst of
 *   malformed messages, and once the processor has stopped every one of them fires (no data alerts).
 *
 * Traffic is timed a few minutes before now, the way live traffic arrives; FCR is judged on settled
 * hours, so its contacts are a day old (sent first, so they are not late). The forecast rules read
 * what the forecaster writes: plans for yesterday and for the last hours (cs.forecasts rows, as a run
 * issues them), yesterday's contacts scored by the forecaster itself (cs.forecast_accuracy → the
 * daily accuracy in cs.metrics), and the live contacts of the last hour against the plan's band.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS, targets } from '@cs/catalog';
import { BAND_ALERT_GROUP, BAND_ALERT_WINDOW, alertedMetrics, evaluateRule, generateAlertRules, pipelineRules, type Evaluation, type ProvisionedRule } from '@cs/dashboards';
import { Forecaster, loadForecasterConfig } from '@cs/forecaster';
import { ZoneClock } from '@cs/runtime';
import { TABLES, insertInto, type ForecastRow } from '@cs/storage';
import type { RunningProcessor } from '@cs/processor';
import type { TopicEvent } from '@cs/producer';
import { produce } from '../correctness/run.ts';
import { call, complaint, contact, freshId, inTimeOrder, started, survey } from '../support/live-events.ts';
import { createTopics, logger, openTestStore, produceRaw, query, queryTable, removeTestStore, startTestProcessor, uniquePrefix, waitFor, type TestStore } from '../support/pipeline.ts';

const TZ = 'Asia/Shanghai';
const MIN = 60_000;
const HOUR = 60 * MIN;
/** Complaints per 10k has no default target (none is stated): a deployment sets one. */
const TARGETS = targets({ CS_TARGET_COMPLAINTS_PER_10K: '12' });
const NOW = Date.now();

const times = <T>(n: number, f: (i: number) => T[]): T[] => Array.from({ length: n }, (_, i) => f(i)).flat();

/** A day ago: contacts whose FCR windows have closed, some followed by a repeat contact (not resolved). */
function fcrTraffic(): TopicEvent[] {
  const at = NOW - 30 * HOUR;
  return [
    ...times(25, (i) => {
      const user = freshId('u');
      return [...contact('fcr-bad', 'APP', at + i * 1000, 60, [], user), ...contact('fcr-bad', 'APP', at + HOUR + i * 1000, 60, [], user)];
    }),
    ...times(25, (i) => contact('fcr-good', 'APP', at + i * 1000, 60)),
  ];
}

/** Live traffic of the last minutes: for each family of rules one unit that breaches, one that does not. */
function liveTraffic(): TopicEvent[] {
  const at = NOW - 14 * MIN;
  return [
    // human_answer_rate 25/100, human AHT 600 s vs 30/30 answered within 5 s, 100 s.
    ...times(25, (i) => call('calls-bad', at + i * 1000, { waitS: 30, handleS: 600 })),
    ...times(75, (i) => call('calls-bad', at + i * 1000, 'abandoned')),
    ...times(30, (i) => call('calls-good', at + i * 1000, { waitS: 5, handleS: 100 })),
    // Top box 0 vs 1.
    ...times(30, (i) => [survey('survey-bad', NOW - 5 * MIN + i * 1000, 3), survey('survey-good', NOW - 5 * MIN + i * 1000, 5)]),
    // 5 complaints on 1000 contacts (50 per 10k) vs none.
    ...times(1000, (i) => [started('complaints-bad', NOW - 6 * MIN + i * 100), started('complaints-good', NOW - 6 * MIN + i * 100)]),
    ...times(5, (i) => [complaint('complaints-bad', NOW - 4 * MIN + i * 1000)]),
    // Online contacts transferred to an agent, 200 s, vs self-served in 30 s.
    ...times(25, (i) => contact('contacts-bad', 'APP', NOW - 10 * MIN + i * 1000, 200, ['TRANSFERRED_TO_AGENT', 'AGENT_JOINED'])),
    ...times(25, (i) => contact('contacts-good', 'APP', NOW - 10 * MIN + i * 1000, 30)),
    // Voice bot: 22 of 40 recognized, none confirmed, 5 turns vs all recognized and confirmed in 2 turns.
    ...times(40, (i) => contact('voice-bad', 'HOTLINE', NOW - 10 * MIN + i * 1000, 90, [...(i < 22 ? (['QUESTION_RECOGNIZED'] as const) : []), 'BOT_TURN', 'BOT_TURN', 'BOT_TURN', 'BOT_TURN', 'BOT_TURN'])),
    ...times(25, (i) => contact('voice-good', 'HOTLINE', NOW - 10 * MIN + i * 1000, 60, ['BOT_TURN', 'QUESTION_RECOGNIZED', 'QUESTION_CONFIRMED', 'BOT_TURN'])),
  ];
}

const HALF_HOUR = 30 * MIN;
const clock = new ZoneClock(TZ);
/** Noon yesterday, local: the scored day's contacts. */
const YESTERDAY_NOON = clock.startOfDay(clock.startOfDay(NOW) - 1) + 12 * HOUR;

/** Yesterday's plan (issued the day before) vs its 25 contacts: 40 planned (accuracy 1 − 15/25 = 40 %) vs 25 (100 %). */
const FORECAST_PLAN: Record<string, number> = { 'forecast-bad': 40, 'forecast-good': 25 };
const forecastTraffic = (): TopicEvent[] => times(25, (i) => Object.keys(FORECAST_PLAN).map((bu) => started(bu, YESTERDAY_NOON + i * 1000)));

/** The band rule's plan: 10 (5–15) contacts every half hour of the last hours. Live: 60 contacts in one half hour vs 25. */
const BAND_CONTACTS: Record<string, number> = { 'band-bad': 60, 'band-good': 25 };
const bandTraffic = (): TopicEvent[] => Object.entries(BAND_CONTACTS).flatMap(([bu, n]) => times(n, (i) => [started(bu, NOW - 40 * MIN + i * 100)]));

/** A plan as a forecaster run issues it: one row per half hour, issued a day before the interval (before its day began). */
function plan(bu: string, intervals: readonly number[], point: number, band: { lower: number; upper: number }): ForecastRow[] {
  return intervals.map((at) => ({
    issued_at: at - 24 * HOUR,
    run: 'nightly',
    kind: 'contacts',
    business_unit: bu,
    segment: 'APP',
    role: 'primary',
    model: 'mstl_ets',
    origin: (at - 24 * HOUR) / 1000,
    interval: at / 1000,
    horizon_minutes: 24 * 60,
    point,
    lower: band.lower,
    upper: band.upper,
    level: 0.95,
    note: '',
  }));
}

/** Which unit breaches which rule; every other unit with figures for the metric meets the target. */
const BREACHES: Record<string, string> = {
  human_answer_rate: 'calls-bad',
  human_aht_seconds: 'calls-bad',
  satisfaction_top_box: 'survey-bad',
  complaints_per_10k: 'complaints-bad',
  self_service_share: 'contacts-bad',
  online_aht_seconds: 'contacts-bad',
  voicebot_recognition_coverage: 'voice-bad',
  voicebot_confirmation_rate: 'voice-bad',
  voicebot_avg_turns: 'voice-bad',
  fcr_rate: 'fcr-bad',
  forecast_accuracy_daily: 'forecast-bad',
};

/** Events in the last minutes on every partition of the dense topics (what live traffic looks like). */
const heartbeat = (at: number): TopicEvent[] => times(40, (i) => [started('heartbeat', at + i), ...call('heartbeat', at + i, 'abandoned').slice(0, 1)]);

let prefix: string;
let store: TestStore;
let processor: RunningProcessor | undefined;
const run = (sql: string) => queryTable(store.client, sql);
const units = (e: Evaluation) => e.series.map((s) => s.labels.business_unit).sort();
const firingUnits = (e: Evaluation) => e.firing.map((s) => s.labels.business_unit).sort();
const metricRules = generateAlertRules({ targets: TARGETS }).groups[0]!.rules;
const ruleOf = (metric: string): ProvisionedRule => metricRules.find((r) => r.labels.metric === metric)!;
const pipelineRule = (uid: string) => pipelineRules('cs').groups[0]!.rules.find((r) => r.uid === uid)!;

async function rawCount(table: string): Promise<number> {
  return Number((await query<{ n: string }>(store.client, `SELECT count() AS n FROM cs.${table}`))[0]!.n);
}

beforeAll(async () => {
  prefix = uniquePrefix('alerts');
  await createTopics(prefix, 2);
  store = await openTestStore(TZ);
  processor = await startTestProcessor(store, prefix, TZ, 'kafkajs');
  // One batch in event-time order, the day-old contacts first: a partition never sees an event over
  // an hour older than one before it, and the pipeline is never idle in between (once it is, its
  // stream time moves to the wall clock and a day-old event would be late).
  await produce(prefix, inTimeOrder([...fcrTraffic(), ...forecastTraffic(), ...liveTraffic(), ...bandTraffic()]));
  // Every contribution visible: the denominators of each family, and FCR settled.
  const expected: Record<string, number> = {
    'human_answer_rate|calls-bad': 100,
    'human_aht_seconds|calls-bad': 25,
    'satisfaction_top_box|survey-good': 30,
    'complaints_per_10k|complaints-bad': 1000,
    'self_service_share|contacts-bad': 25,
    'voicebot_avg_turns|voice-bad': 40,
    'voicebot_confirmation_rate|voice-good': 25,
  };
  await waitFor(
    'the live figures of every injected contribution, and the settled FCR hours',
    async () => {
      const rows = await query<{ key: string; d: number }>(store.client, `SELECT concat(metric, '|', business_unit) AS key, sum(denominator) AS d FROM cs.metrics WHERE grain = 'minute' GROUP BY key`);
      const got = new Map(rows.map((r) => [r.key, Number(r.d)]));
      const settled = await query<{ n: string }>(store.client, `SELECT count() AS n FROM cs.metrics WHERE grain = 'hour' AND metric = 'fcr_rate' AND business_unit LIKE 'fcr-%' AND final`);
      return Object.entries(expected).every(([k, v]) => got.get(k) === v) && Number(settled[0]!.n) >= 3;
    },
    120_000,
    500,
  );
  await waitFor(
    'the contacts of the forecast and band units',
    async () => {
      const rows = await query<{ business_unit: string; n: number }>(
        store.client,
        `SELECT business_unit, sum(numerator) AS n FROM cs.metrics WHERE grain = 'minute' AND metric = 'contacts' AND (business_unit LIKE 'forecast-%' OR business_unit LIKE 'band-%') GROUP BY business_unit`,
      );
      const got = new Map(rows.map((r) => [r.business_unit, Number(r.n)]));
      return Object.keys(FORECAST_PLAN).every((bu) => got.get(bu) === 25) && Object.entries(BAND_CONTACTS).every(([bu, n]) => got.get(bu) === n);
    },
    60_000,
    500,
  );
  // Yesterday's plan, scored by the forecaster (its 1-day-ahead accuracy, written to cs.forecast_accuracy)…
  const noon = YESTERDAY_NOON - (YESTERDAY_NOON % HALF_HOUR);
  await insertInto(store.client, store.db, TABLES.forecasts, Object.entries(FORECAST_PLAN).flatMap(([bu, point]) => plan(bu, [noon], point, { lower: point / 2, upper: point * 2 })));
  const forecaster = new Forecaster({ client: store.client, db: store.db, config: loadForecasterConfig({ CS_TIMEZONE: TZ, CS_FORECAST_SCHEDULE: 'false' }), logger });
  expect(await forecaster.score(Date.now(), 2)).toBeGreaterThan(0);
  // …then the plans of the half hours up to now for the band rule (after scoring: they are not part of yesterday's score).
  const lastHours = Array.from({ length: 9 }, (_, i) => NOW - (NOW % HALF_HOUR) - i * HALF_HOUR);
  await insertInto(store.client, store.db, TABLES.forecasts, Object.keys(BAND_CONTACTS).flatMap((bu) => plan(bu, lastHours, 10, { lower: 5, upper: 15 })));
}, 300_000);

afterAll(async () => {
  await processor?.stop();
  await removeTestStore(store);
});

describe('metric rules on live figures', () => {
  it('there is a rule for every metric with a target, and a breach injected for each', () => {
    expect(metricRules.map((r) => r.labels.metric).sort()).toEqual(alertedMetrics(TARGETS).map((m) => m.id).sort());
    expect(Object.keys(BREACHES).sort()).toEqual(metricRules.map((r) => r.labels.metric).sort());
  });

  it.each(Object.entries(BREACHES))('%s fires for %s only, within its window', async (metric, unit) => {
    const rule = ruleOf(metric);
    const now = await evaluateRule(rule, run, Date.now());
    expect(now.state, now.sql).toBe('Alerting');
    expect(firingUnits(now), now.sql).toEqual([unit]);
    // The unit that meets the target is judged (enough volume) and stays quiet.
    const good = unit.replace(/-bad$/, '-good');
    const m = METRICS.find((x) => x.id === metric)!;
    const target = TARGETS[metric]!;
    expect(units(now), now.sql).toContain(good);
    for (const s of now.series.filter((x) => x.labels.business_unit !== unit)) {
      if (m.direction === 'higher_is_better') expect(s.value, `${metric} ${s.labels.business_unit}`).toBeGreaterThanOrEqual(target);
      else expect(s.value, `${metric} ${s.labels.business_unit}`).toBeLessThanOrEqual(target);
    }
    // Once the injected minutes have left the window, nothing fires (and no data is OK for a metric).
    const later = await evaluateRule(rule, run, Date.now() + (rule.data[0]!.relativeTimeRange.from + 60) * 1000);
    expect(later.firing).toEqual([]);
    expect(later.state).toBe('Normal');
  });
});

describe('the forecast band rule', () => {
  const rule = generateAlertRules({ targets: TARGETS }).groups.find((g) => g.name === BAND_ALERT_GROUP)!.rules[0]!;

  it('fires for the unit whose contacts of the last complete half hours left the plan\'s band, and no other', async () => {
    const now = await evaluateRule(rule, run, Date.now());
    expect(now.state, now.sql).toBe('Alerting');
    expect(firingUnits(now), now.sql).toEqual(['band-bad']);
    // The unit inside its band is judged (it has a plan) and is 0 outside it.
    expect(now.series.find((s) => s.labels.business_unit === 'band-good')?.value, now.sql).toBe(0);
    expect(now.firing[0]!.value).toBeGreaterThan(0);
  });

  it('is quiet once the half hour has left its window (no plan there: no data is OK)', async () => {
    const later = await evaluateRule(rule, run, Date.now() + (BAND_ALERT_WINDOW.from + 60) * 1000);
    expect([later.state, later.firing]).toEqual(['Normal', []]);
  });
});

describe('pipeline-health rules', () => {
  it('are quiet while events flow: lag on every partition, freshness and dead-letter rate within bounds', async () => {
    // Stamped a moment ahead (an idle pipeline's stream time is the wall clock of its last idle
    // flush: an event stamped before it is late); evaluated once that moment is inside the range.
    const stamp = Date.now() + 2000;
    const beat = heartbeat(stamp);
    const before = { sessions: await rawCount('raw_sessions'), calls: await rawCount('raw_calls') };
    await produce(prefix, beat);
    const sent = (topic: string) => beat.filter((e) => e.topic === topic).length;
    await waitFor(
      'the heartbeat to be accepted',
      async () => (await rawCount('raw_sessions')) === before.sessions + sent('cs.sessions') && (await rawCount('raw_calls')) === before.calls + sent('cs.calls'),
      60_000,
      250,
    );
    await new Promise((r) => setTimeout(r, Math.max(0, stamp + 1500 - Date.now())));
    const lag = await evaluateRule(pipelineRule('cs-pipeline-consumer-lag'), run);
    expect(lag.series.map((s) => `${s.labels.topic}/${s.labels.partition}`).sort(), lag.sql).toEqual(['cs.calls/0', 'cs.calls/1', 'cs.sessions/0', 'cs.sessions/1']);
    expect(lag.state, JSON.stringify(lag.series)).toBe('Normal');
    const fresh = await evaluateRule(pipelineRule('cs-pipeline-freshness'), run);
    expect([fresh.state, fresh.noData], JSON.stringify(fresh.series)).toEqual(['Normal', false]);
    const dead = await evaluateRule(pipelineRule('cs-pipeline-dead-letters'), run);
    expect(dead.series, dead.sql).toEqual([{ labels: {}, value: 0 }]);
    expect(dead.state).toBe('Normal');
  });

  it('the dead-letter rule fires on a burst of malformed messages', async () => {
    const before = await rawCount('dead_letters');
    for (let i = 0; i < 100; i++) await produceRaw(`${prefix}cs.sessions`, `bad-${i}`, Buffer.from('not avro'));
    await waitFor('the malformed messages to be dead-lettered', async () => (await rawCount('dead_letters FINAL')) === before + 100, 60_000, 500);
    // The rule's range ends at a whole second (as Grafana's does): let the second of the last one pass.
    await new Promise((r) => setTimeout(r, 1500));
    const dead = await evaluateRule(pipelineRule('cs-pipeline-dead-letters'), run);
    expect(dead.state, JSON.stringify(dead.series)).toBe('Alerting');
    expect(dead.firing[0]!.value).toBeGreaterThan(0.01);
  });

  it('a stopped pipeline makes every pipeline rule fire: no new rows, then no data', async () => {
    await processor!.stop();
    processor = undefined;
    const metricsBefore = await rawCount('raw_sessions');
    await produce(prefix, heartbeat(Date.now()));
    await new Promise((r) => setTimeout(r, 3000));
    expect(await rawCount('raw_sessions')).toBe(metricsBefore);
    const uids = ['cs-pipeline-consumer-lag', 'cs-pipeline-freshness', 'cs-pipeline-dead-letters'];
    // Six minutes on: the newest figures are too old (lag and freshness past their thresholds)…
    for (const uid of ['cs-pipeline-consumer-lag', 'cs-pipeline-freshness']) {
      const e = await evaluateRule(pipelineRule(uid), run, Date.now() + 6 * MIN);
      expect([uid, e.state, e.noData]).toEqual([uid, 'Alerting', false]);
    }
    // …and once nothing at all is left in their windows, no data is the alarm.
    for (const uid of uids) {
      const e = await evaluateRule(pipelineRule(uid), run, Date.now() + 16 * MIN);
      expect([uid, e.state, e.noData]).toEqual([uid, 'Alerting', true]);
    }
  });
});
