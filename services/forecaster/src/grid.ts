/**
 * The forecasting grid: 48 half-hour slots per local day in CS_TIMEZONE, by wall-clock time.
 * Contact volume follows the local clock, so a series is a run of local days × 48 slots; the
 * daily and weekly seasonal periods stay 48 and 336 across daylight-saving changes. On a 23-hour
 * day the skipped slots hold nothing; on a 25-hour day the repeated hour's two occurrences share
 * their slots (both in the actuals and, split evenly, in the forecast).
 */
import { ZoneClock, addDays, parseDate } from '@cs/runtime';

export { addDays, daysBetween, weekdayOf } from '@cs/runtime';

export const SLOT_MINUTES = 30;
export const SLOTS_PER_DAY = 48;
export const SLOTS_PER_WEEK = 7 * SLOTS_PER_DAY;
const SLOT_MS = SLOT_MINUTES * 60_000;

/** A slot of the grid: a local date (YYYY-MM-DD) and a slot index 0–47 (slot k starts at k × 30 min). */
export interface Slot {
  date: string;
  slot: number;
}

export class SlotGrid {
  readonly clock: ZoneClock;

  constructor(readonly timeZone: string) {
    this.clock = new ZoneClock(timeZone);
  }

  /** The slot containing instant t. */
  slotAt(t: number): Slot {
    const local = this.clock.local(t);
    const minuteOfDay = Math.floor((((local % 86_400_000) + 86_400_000) % 86_400_000) / 60_000);
    return { date: this.clock.dateString(t), slot: Math.floor(minuteOfDay / SLOT_MINUTES) };
  }

  /** Local midnight starting `date`. */
  dayStart(date: string): number {
    const { year, month, day } = parseDate(date);
    return this.clock.toUtc(year, month, day);
  }

  /**
   * The instants at which the wall clock shows the start of `slot` on `date`: one, none (skipped by
   * a spring-forward change) or two (a fall-back change repeats it).
   */
  instants(date: string, slot: number): number[] {
    const { year, month, day } = parseDate(date);
    const wall = Date.UTC(year, month - 1, day, 0, slot * SLOT_MINUTES);
    const out: number[] = [];
    for (const probe of [wall - 86_400_000, wall, wall + 86_400_000]) {
      const t = wall - this.clock.offset(probe);
      if (this.clock.local(t) === wall && !out.includes(t)) out.push(t);
    }
    return out.sort((a, b) => a - b);
  }

  /** The start instant of the slot containing t (for the repeated hour, the occurrence containing t). */
  slotStart(t: number): number {
    const local = this.clock.local(t);
    return t - (((local % SLOT_MS) + SLOT_MS) % SLOT_MS);
  }

  /** Dates from `from` for `count` days. */
  dates(from: string, count: number): string[] {
    const out: string[] = [];
    for (let i = 0; i < count; i++) out.push(addDays(from, i));
    return out;
  }
}
