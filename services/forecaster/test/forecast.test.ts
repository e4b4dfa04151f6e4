import { describe, expect, it } from 'vitest';
import { Rng } from '@cs/simulator';
import type { ForecastEvent } from '../src/calendar.ts';
import { forecastSeries, type ForecastOptions } from '../src/forecast.ts';
import { SLOTS_PER_DAY, addDays, weekdayOf } from '../src/grid.ts';
import type { SeriesHistory } from '../src/series.ts';

const OPTS: ForecastOptions = { model: 'mstl_ets', minHistoryDays: 21, level: 0.95, transform: 'none' };
const KEY = { kind: 'contacts', businessUnit: 'cards', segment: 'APP' } as const;
const START = '2025-09-01'; // a Monday

/** A usual day's expected volume per slot: two peaks, quieter weekends. */
function expected(date: string, slot: number): number {
  const h = slot / 2;
  const shape = 8 + 120 * Math.exp(-((h - 10.5) ** 2) / 6) + 90 * Math.exp(-((h - 20) ** 2) / 4);
  const wd = weekdayOf(date);
  return shape * (wd === 0 ? 0.8 : wd === 6 ? 0.85 : wd === 1 ? 1.1 : 1);
}

/** `days` days of Poisson-ish counts; `factor(date)` scales a day. */
function history(days: number, factor: (date: string) => number = () => 1, seed = 1): SeriesHistory {
  const rng = new Rng(seed);
  const values = new Float64Array(days * SLOTS_PER_DAY);
  for (let d = 0; d < days; d++) {
    const date = addDays(START, d);
    for (let s = 0; s < SLOTS_PER_DAY; s++) {
      const mean = expected(date, s) * factor(date);
      values[d * SLOTS_PER_DAY + s] = Math.max(0, Math.round(mean + Math.sqrt(mean) * rng.normal()));
    }
  }
  return { key: { ...KEY }, start: START, values };
}

const dayTotal = (a: Float64Array, day: number) => a.subarray(day * SLOTS_PER_DAY, (day + 1) * SLOTS_PER_DAY).reduce((s, v) => s + v, 0);
const usualTotal = (date: string) => Array.from({ length: SLOTS_PER_DAY }, (_, s) => expected(date, s)).reduce((a, b) => a + b, 0);
const origin = (days: number) => ({ date: addDays(START, days), slot: 0 });

describe('forecastSeries', () => {
  it('with enough history: MSTL + ETS, close to the truth, with the baseline beside it and bands around the point', () => {
    const f = forecastSeries(history(42), origin(42), 7 * SLOTS_PER_DAY, [], OPTS);
    expect(f.status).toBe('ok');
    expect(f.primary!.model).toBe('mstl_ets');
    expect(f.baseline!.model).toBe('seasonal_naive');
    for (let d = 0; d < 7; d++) {
      const want = usualTotal(addDays(START, 42 + d));
      expect(Math.abs(dayTotal(f.primary!.forecast.point, d) - want) / want).toBeLessThan(0.03);
    }
    const { point, lower, upper } = f.primary!.forecast;
    for (let i = 0; i < point.length; i++) expect(lower[i]! <= point[i]! && point[i]! <= upper[i]!).toBe(true);
  });

  it('too little history falls back to the baseline, visibly: model, status and reason say so', () => {
    const short = forecastSeries(history(12), origin(12), SLOTS_PER_DAY, [], OPTS);
    expect(short.status).toBe('fallback');
    expect(short.primary!.model).toBe('seasonal_naive');
    expect(short.reason).toBe('too little history for mstl_ets: 12.0 days < 21 required; issued seasonal_naive');
    // Same slot last week, exactly.
    expect(Array.from(short.primary!.forecast.point.subarray(0, 4))).toEqual(Array.from(history(12).values.subarray(5 * SLOTS_PER_DAY, 5 * SLOTS_PER_DAY + 4)));

    const days = forecastSeries(history(5), origin(5), SLOTS_PER_DAY, [], OPTS);
    expect(days).toMatchObject({ status: 'fallback', primary: { model: 'seasonal_naive_daily' }, baseline: { model: 'seasonal_naive_daily' } });
    expect(days.reason).toMatch(/too little history for mstl_ets: 5\.0 days < 21 required; issued seasonal_naive_daily/);

    const none = forecastSeries({ key: { ...KEY }, start: START, values: new Float64Array(3 * SLOTS_PER_DAY) }, origin(3), SLOTS_PER_DAY, [], OPTS);
    expect(none).toMatchObject({ status: 'skipped', primary: null, baseline: null });
    expect(none.reason).toMatch(/no history/);
  });

  it('counts history from the first contact, not from the start of the window', () => {
    const h = history(30);
    h.values.fill(0, 0, 20 * SLOTS_PER_DAY);
    expect(forecastSeries(h, origin(30), SLOTS_PER_DAY, [], OPTS)).toMatchObject({ status: 'fallback', historyDays: 10 });
  });

  it('refuses a history that does not end at the origin', () => {
    expect(() => forecastSeries(history(30), origin(31), SLOTS_PER_DAY, [], OPTS)).toThrow(/does not end at the origin/);
  });
});

describe('the event calendar', () => {
  const event = (e: Partial<ForecastEvent> & Pick<ForecastEvent, 'name' | 'starts'>): ForecastEvent => ({ kind: 'festival', ends: e.starts, businessUnit: '', channel: '', uplift: null, ...e });

  it('an analyst uplift multiplies the forecast of its day; events for other units or channels do not', () => {
    const day = addDays(START, 44); // the third forecast day
    const events = [event({ name: 'Double 11', starts: day, uplift: 1.8, businessUnit: 'cards' }), event({ name: 'other', starts: day, uplift: 3, businessUnit: 'loans' }), event({ name: 'web only', starts: day, uplift: 3, channel: 'WEB' })];
    const plain = forecastSeries(history(42), origin(42), 7 * SLOTS_PER_DAY, [], OPTS);
    const f = forecastSeries(history(42), origin(42), 7 * SLOTS_PER_DAY, events, OPTS);
    expect(dayTotal(f.primary!.forecast.point, 2) / dayTotal(plain.primary!.forecast.point, 2)).toBeCloseTo(1.8, 6);
    expect(dayTotal(f.primary!.forecast.point, 3)).toBeCloseTo(dayTotal(plain.primary!.forecast.point, 3), 6);
    // The baseline stays the plain seasonal naive.
    expect(Array.from(f.baseline!.forecast.point)).toEqual(Array.from(plain.baseline!.forecast.point));
  });

  it('an event without an uplift learns its factor from earlier occurrences in the history, which it also de-seasons', () => {
    const paydays = ['2025-09-15', '2025-09-29', '2025-10-13'];
    const h = history(49, (d) => (paydays.includes(d) ? 1.4 : 1));
    const next = '2025-10-21'; // a Tuesday inside the horizon
    const events = [...paydays, next].map((d) => event({ name: 'Payday', kind: 'payday', starts: d }));
    const f = forecastSeries(h, origin(49), 7 * SLOTS_PER_DAY, events, OPTS);
    const dayIndex = 49 + 1;
    expect(addDays(START, dayIndex)).toBe(next);
    const ratio = dayTotal(f.primary!.forecast.point, 1) / usualTotal(next);
    expect(ratio).toBeGreaterThan(1.33);
    expect(ratio).toBeLessThan(1.47);
    // Mondays after a payday Monday are not inflated: the history was brought back to usual days.
    const monday = addDays(START, 49);
    expect(weekdayOf(monday)).toBe(1);
    expect(Math.abs(dayTotal(f.primary!.forecast.point, 0) / usualTotal(monday) - 1)).toBeLessThan(0.04);
  });

  it('a recorded incident is replaced by a usual day in the history, so the same weekday next week is not inflated', () => {
    const incident = addDays(START, 35); // a Monday, one week before the origin
    const h = history(42, (d) => (d === incident ? 2.2 : 1));
    const unrecorded = forecastSeries(h, origin(42), SLOTS_PER_DAY, [], OPTS);
    const recorded = forecastSeries(h, origin(42), SLOTS_PER_DAY, [event({ name: 'app outage', kind: 'incident', starts: incident })], OPTS);
    const want = usualTotal(addDays(START, 42));
    const err = (f: typeof recorded) => Math.abs(dayTotal(f.primary!.forecast.point, 0) / want - 1);
    expect(err(recorded)).toBeLessThan(0.04);
    expect(err(recorded)).toBeLessThan(err(unrecorded));
  });
});
