/**
 * A history straight from the simulator library, in-process (no Kafka, no store): the slot counts
 * the pipeline would hold — contacts STARTED per business unit × channel, calls OFFERED per
 * business unit × queue — and the calendar planners would have entered (the simulator's known days
 * with their expected uplift; surges are unannounced and stay out). For the backtest and tests.
 */
import { createTrafficGenerator, defaultCalendar, type SimOptions, type VolumeEvent } from '@cs/simulator';
import type { ForecastEvent } from './calendar.ts';
import { SLOTS_PER_DAY, SlotGrid, addDays, daysBetween } from './grid.ts';
import { seriesId, type SeriesHistory, type SeriesKey } from './series.ts';

export interface SimulatedHistory {
  histories: SeriesHistory[];
  events: ForecastEvent[];
  /** The simulator's calendar (true uplifts), for reporting calendar days. */
  calendar: readonly VolumeEvent[];
  firstDate: string;
  days: number;
}

/** Simulates [start date, + days) in `timeZone` and counts slots. */
export function simulateHistory(opts: Omit<SimOptions, 'start' | 'end'> & { firstDate: string; days: number; timeZone: string }): SimulatedHistory {
  const grid = new SlotGrid(opts.timeZone);
  const start = grid.dayStart(opts.firstDate);
  const end = grid.dayStart(addDays(opts.firstDate, opts.days));
  const calendar = opts.calendar ?? defaultCalendar(Number(opts.firstDate.slice(0, 4)), Number(addDays(opts.firstDate, opts.days).slice(0, 4)));
  const { firstDate: _f, days: _d, ...sim } = opts;
  const slots = opts.days * SLOTS_PER_DAY;
  const series = new Map<string, SeriesHistory>();
  const add = (key: SeriesKey, t: number) => {
    const id = seriesId(key);
    let s = series.get(id);
    if (!s) series.set(id, (s = { key, start: opts.firstDate, values: new Float64Array(slots) }));
    const { date, slot } = grid.slotAt(t);
    s.values[daysBetween(opts.firstDate, date) * SLOTS_PER_DAY + slot]! += 1;
  };
  for (const { topic, event } of createTrafficGenerator({ ...sim, calendar, start, end })) {
    if (topic === 'cs.sessions' && event.type === 'STARTED') add({ kind: 'contacts', businessUnit: event.business_unit, segment: event.channel }, event.event_time);
    else if (topic === 'cs.calls' && event.type === 'OFFERED') add({ kind: 'calls', businessUnit: event.business_unit, segment: event.queue }, event.event_time);
  }
  const histories = [...series.values()].sort((a, b) => seriesId(a.key).localeCompare(seriesId(b.key)));
  return { histories, events: plannersCalendar(calendar), calendar, firstDate: opts.firstDate, days: opts.days };
}

/** The simulator's known days as planners would enter them in cs.forecast_events (expected uplift, per unit and channel). */
export function plannersCalendar(calendar: readonly VolumeEvent[]): ForecastEvent[] {
  const out: ForecastEvent[] = [];
  for (const e of calendar) {
    for (const businessUnit of e.businessUnits ?? ['']) {
      for (const channel of e.channels ?? ['']) {
        out.push({ name: e.name, kind: e.kind, starts: e.start, ends: e.end, businessUnit, channel, uplift: e.expectedUplift });
      }
    }
  }
  return out;
}
