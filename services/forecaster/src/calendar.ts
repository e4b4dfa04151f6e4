/**
 * The event calendar (cs.forecast_events) as the model uses it: by adjustment. Volume on a known
 * day is a usual day's volume times a factor, so
 *
 *  1. history: each event day is brought back to a usual day before the model sees it — divided
 *     by its realised factor (the day's volume over the median of the same weekday in the
 *     nearest usual weeks), or, for an `incident`, replaced by that median profile (an outage
 *     has its own shape, not a scaled usual day);
 *  2. forecast: the model's usual-day forecast of an event day is multiplied by the event's factor,
 *     taken from, in order: the days of the same occurrence already observed (a holiday week under
 *     way), the analysts' `uplift`, the realised factors of earlier occurrences of the same event
 *     name in the history (e.g. payday, entered without an uplift), else 1 with a note.
 *
 * Factors of events on the same day multiply.
 */
import { SLOTS_PER_DAY, addDays, type Slot } from './grid.ts';
import type { SeriesKey } from './series.ts';

export interface ForecastEvent {
  name: string;
  kind: string;
  /** First and last local day, inclusive (YYYY-MM-DD). */
  starts: string;
  ends: string;
  /** '' = every business unit / channel. */
  businessUnit: string;
  channel: string;
  /** Expected volume factor (1.8 = +80 %); null = known day, effect to be learned from history. */
  uplift: number | null;
}

/** Does the event apply to the series? Calls series are the HOTLINE channel. */
export function appliesTo(e: ForecastEvent, key: SeriesKey): boolean {
  if (e.businessUnit !== '' && e.businessUnit !== key.businessUnit) return false;
  if (e.channel === '') return true;
  return key.kind === 'calls' ? e.channel === 'HOTLINE' : e.channel === key.segment;
}

export interface Occurrence {
  event: ForecastEvent;
  /** First day of this occurrence (events are contiguous ranges). */
  starts: string;
}

export interface CalendarAdjustment {
  /** The history with event days brought back to usual days. */
  history: Float64Array;
  /** Factor per forecast slot (1 on usual days). */
  factors: Float64Array;
  /** Realised factor of each history day with an event, by date. */
  realised: Map<string, number>;
  /** What a reader should know (events without a usable factor). */
  notes: string[];
}

/** How many usual weeks on each side the usual-day profile looks at, and how many it keeps. */
const NEIGHBOUR_WEEKS = 4;
const NEIGHBOURS_KEPT = 4;

/**
 * @param history  slots from `historyStart`'s slot 0 up to (excluding) the forecast origin
 * @param origin   the first forecast slot
 * @param horizon  number of forecast slots
 */
export function adjustForEvents(history: Float64Array, historyStart: string, origin: Slot, horizon: number, events: readonly ForecastEvent[]): CalendarAdjustment {
  const days = Math.ceil(history.length / SLOTS_PER_DAY);
  const dateOf = (d: number) => addDays(historyStart, d);
  const byDate = new Map<string, ForecastEvent[]>();
  for (const e of events) {
    for (let d = e.starts; d <= e.ends; d = addDays(d, 1)) {
      const list = byDate.get(d) ?? [];
      list.push(e);
      byDate.set(d, list);
    }
  }
  const isEventDay = (d: number) => byDate.has(dateOf(d));
  const complete = (d: number) => (d + 1) * SLOTS_PER_DAY <= history.length;

  /** Median profile of the same weekday in the nearest usual, complete weeks around day d. */
  const usualProfile = (d: number): Float64Array | null => {
    const candidates: number[] = [];
    for (let k = 1; k <= NEIGHBOUR_WEEKS; k++) for (const n of [d - 7 * k, d + 7 * k]) if (n >= 0 && n < days && complete(n) && !isEventDay(n)) candidates.push(n);
    const kept = candidates.sort((a, b) => Math.abs(a - d) - Math.abs(b - d)).slice(0, NEIGHBOURS_KEPT);
    if (kept.length === 0) return null;
    const profile = new Float64Array(SLOTS_PER_DAY);
    const column: number[] = [];
    for (let s = 0; s < SLOTS_PER_DAY; s++) {
      column.length = 0;
      for (const n of kept) column.push(history[n * SLOTS_PER_DAY + s]!);
      profile[s] = median(column);
    }
    return profile;
  };

  const adjusted = Float64Array.from(history);
  const realised = new Map<string, number>();
  const notes: string[] = [];
  const learnedSums = new Map<string, { sum: number; count: number }>();
  for (let d = 0; d < days; d++) {
    const list = byDate.get(dateOf(d));
    if (!list) continue;
    const profile = usualProfile(d);
    if (!profile) {
      notes.push(`no usual ${dateOf(d)} weekday nearby to measure ${list.map((e) => e.name).join(', ')}`);
      continue;
    }
    const base = d * SLOTS_PER_DAY;
    const end = Math.min(SLOTS_PER_DAY, history.length - base);
    let actual = 0;
    let usual = 0;
    for (let s = 0; s < end; s++) {
      actual += history[base + s]!;
      usual += profile[s]!;
    }
    if (!(usual > 0)) continue;
    const factor = actual / usual;
    // A partial day (the origin's) needs enough of its usual volume behind it to be measured.
    if (end < SLOTS_PER_DAY && usual < 0.15 * profile.reduce((a, b) => a + b, 0)) continue;
    realised.set(dateOf(d), factor);
    const incident = list.some((e) => e.kind === 'incident');
    for (let s = 0; s < end; s++) adjusted[base + s] = incident ? profile[s]! : factor > 0 ? history[base + s]! / factor : profile[s]!;
    if (list.length === 1 && end === SLOTS_PER_DAY) {
      const acc = learnedSums.get(list[0]!.name) ?? { sum: 0, count: 0 };
      acc.sum += factor;
      acc.count++;
      learnedSums.set(list[0]!.name, acc);
    }
  }

  const factors = new Float64Array(horizon).fill(1);
  const dayFactor = new Map<string, number>();
  for (let i = 0; i < horizon; i++) {
    const slot = origin.slot + i;
    const date = addDays(origin.date, Math.floor(slot / SLOTS_PER_DAY));
    let f = dayFactor.get(date);
    if (f === undefined) {
      f = 1;
      for (const e of byDate.get(date) ?? []) {
        const observed = observedFactor(e, date, realised);
        const learned = learnedSums.get(e.name);
        if (observed !== null) f *= observed;
        else if (e.uplift !== null) f *= e.uplift;
        else if (learned) f *= learned.sum / learned.count;
        else notes.push(`${e.name} on ${date}: no uplift given and no earlier occurrence to learn it from; forecast as a usual day`);
      }
      dayFactor.set(date, f);
    }
    factors[i] = f;
  }
  return { history: adjusted, factors, realised, notes };
}

/** The mean realised factor of the days of this occurrence of `e` observed so far (up to and including `date`). */
function observedFactor(e: ForecastEvent, date: string, realised: Map<string, number>): number | null {
  let sum = 0;
  let count = 0;
  for (let d = e.starts; d <= date && d <= e.ends; d = addDays(d, 1)) {
    const f = realised.get(d);
    if (f !== undefined) {
      sum += f;
      count++;
    }
  }
  return count > 0 ? sum / count : null;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
