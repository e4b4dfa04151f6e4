/**
 * Local calendar time in an IANA zone (dates, midnights, wall-clock instants), fast enough to be
 * asked per event: the UTC offset is cached per 15-minute slot by ZoneOffsets.
 */
import { ZoneOffsets } from './time-zone.ts';

const HOUR = 3_600_000;
const DAY = 86_400_000;

export interface LocalDate {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
}

export class ZoneClock {
  readonly timeZone: string;
  private readonly offsets: ZoneOffsets;

  constructor(timeZone: string) {
    this.timeZone = timeZone;
    // Throws RangeError for an unknown zone, which is what callers want.
    this.offsets = new ZoneOffsets(timeZone);
  }

  /** Local time minus UTC, in ms, at instant t. */
  offset(t: number): number {
    return this.offsets.offsetAt(t);
  }

  /** Milliseconds since the Unix epoch on the local wall clock ("local epoch"). */
  local(t: number): number {
    return t + this.offset(t);
  }

  /** Fractional local hour of day, 0 ≤ h < 24. */
  hourOfDay(t: number): number {
    const l = this.local(t);
    return (((l % DAY) + DAY) % DAY) / HOUR;
  }

  /** Local weekday, 0 = Sunday. */
  weekday(t: number): number {
    return (((Math.floor(this.local(t) / DAY) + 4) % 7) + 7) % 7;
  }

  localDate(t: number): LocalDate {
    const d = new Date(Math.floor(this.local(t) / DAY) * DAY);
    return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
  }

  /** YYYY-MM-DD of instant t in this zone. */
  dateString(t: number): string {
    const { year, month, day } = this.localDate(t);
    return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  }

  /** The instant of a local wall-clock time (day may overflow, e.g. day 32 = next month). */
  toUtc(year: number, month: number, day: number, hour = 0, minute = 0): number {
    const wall = Date.UTC(year, month - 1, day, hour, minute);
    const first = wall - this.offset(wall);
    const second = wall - this.offset(first);
    // In a spring-forward gap neither guess maps back exactly; take the later (valid) one.
    return this.local(second) === wall ? second : Math.max(first, second);
  }

  /** Start (local midnight) of the local day containing t. */
  startOfDay(t: number): number {
    const { year, month, day } = this.localDate(t);
    return this.toUtc(year, month, day);
  }

  /** The next local midnight strictly after the start of t's day. */
  nextDay(t: number): number {
    const { year, month, day } = this.localDate(t);
    return this.toUtc(year, month, day + 1);
  }
}

/** Parses YYYY-MM-DD. */
export function parseDate(text: string): LocalDate {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (!m) throw new Error(`not a date: "${text}" (use YYYY-MM-DD)`);
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) throw new Error(`not a valid date: "${text}"`);
  return { year, month, day };
}

/** YYYY-MM-DD plus n days (n may be negative). */
export function addDays(date: string, n: number): string {
  const { year, month, day } = parseDate(date);
  return new Date(Date.UTC(year, month - 1, day + n)).toISOString().slice(0, 10);
}

/** Whole days from date `a` to date `b` (b − a). */
export function daysBetween(a: string, b: string): number {
  const x = parseDate(a);
  const y = parseDate(b);
  return Math.round((Date.UTC(y.year, y.month - 1, y.day) - Date.UTC(x.year, x.month - 1, x.day)) / DAY);
}

/** Weekday of a YYYY-MM-DD date, 0 = Sunday. */
export function weekdayOf(date: string): number {
  const { year, month, day } = parseDate(date);
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}
