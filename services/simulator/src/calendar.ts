/**
 * Days whose contact volume departs from the usual curves: public holidays, shopping festivals,
 * paydays and marketing campaigns, each with a known volume factor (`uplift`: 1.8 = +80 %,
 * 0.6 = −40 %) for some or all business units and channels. The built-in calendar follows a
 * Chinese retail bank: quiet at the Spring Festival, Labour Day, Mid-Autumn and National Day
 * holidays; busy on the 618 and Double 11 shopping festivals (payments and cards), on payday and
 * on the monthly card campaign. Surges are the unannounced kind: a time window (an outage, a
 * viral rumour) that multiplies volume and that no calendar knows in advance.
 */
import type { Channel } from './generator.ts';
import { addDays, parseDate, weekdayOf } from '@cs/runtime';

export type VolumeEventKind = 'holiday' | 'campaign' | 'festival' | 'payday' | 'incident';

export interface VolumeEvent {
  name: string;
  kind: VolumeEventKind;
  /** First and last local day (YYYY-MM-DD, inclusive) in the simulator's zone. */
  start: string;
  end: string;
  /** The true volume factor on these days. */
  uplift: number;
  /** What planners expect in advance (what they would enter in a forecast calendar); null = known day, effect unknown. */
  expectedUplift: number | null;
  /** Business units affected (default: all). */
  businessUnits?: readonly string[];
  /** Channels affected (default: all). */
  channels?: readonly Channel[];
}

export interface Surge {
  name: string;
  /** [from, to) epoch ms. */
  from: number;
  to: number;
  factor: number;
  businessUnits?: readonly string[];
  channels?: readonly Channel[];
}

/** Gregorian dates of the Lunar New Year and the Mid-Autumn Festival. */
const LUNAR_NEW_YEAR: Record<number, string> = {
  2020: '2020-01-25', 2021: '2021-02-12', 2022: '2022-02-01', 2023: '2023-01-22', 2024: '2024-02-10', 2025: '2025-01-29',
  2026: '2026-02-17', 2027: '2027-02-06', 2028: '2028-01-26', 2029: '2029-02-13', 2030: '2030-02-03',
};
const MID_AUTUMN: Record<number, string> = {
  2020: '2020-10-01', 2021: '2021-09-21', 2022: '2022-09-10', 2023: '2023-09-29', 2024: '2024-09-17', 2025: '2025-10-06',
  2026: '2026-09-25', 2027: '2027-09-15', 2028: '2028-10-03', 2029: '2029-09-22', 2030: '2030-09-12',
};

const isoDate = (d: Date) => d.toISOString().slice(0, 10);
const ymd = (year: number, month: number, day: number) => isoDate(new Date(Date.UTC(year, month - 1, day)));

function firstMonday(year: number, month: number): string {
  const wd = weekdayOf(ymd(year, month, 1));
  return ymd(year, month, 1 + ((8 - wd) % 7));
}

/** The built-in calendar for the given years (inclusive). */
export function builtInCalendar(fromYear: number, toYear: number): VolumeEvent[] {
  const out: VolumeEvent[] = [];
  for (let y = fromYear; y <= toYear; y++) {
    const lny = LUNAR_NEW_YEAR[y];
    if (lny) {
      out.push({ name: 'Spring Festival rush', kind: 'festival', start: addDays(lny, -4), end: addDays(lny, -2), uplift: 1.25, expectedUplift: 1.2, businessUnits: ['payments', 'cards'] });
      out.push({ name: 'Spring Festival', kind: 'holiday', start: addDays(lny, -1), end: addDays(lny, 5), uplift: 0.6, expectedUplift: 0.6 });
    }
    out.push({ name: 'Labour Day', kind: 'holiday', start: ymd(y, 5, 1), end: ymd(y, 5, 5), uplift: 0.72, expectedUplift: 0.7 });
    out.push({ name: '618 shopping festival', kind: 'festival', start: ymd(y, 6, 18), end: ymd(y, 6, 18), uplift: 1.6, expectedUplift: 1.55, businessUnits: ['payments'] });
    out.push({ name: '618 shopping festival', kind: 'festival', start: ymd(y, 6, 18), end: ymd(y, 6, 18), uplift: 1.35, expectedUplift: 1.3, businessUnits: ['cards'] });
    const midAutumn = MID_AUTUMN[y];
    // In years when Mid-Autumn falls inside the National Day holiday, the holiday covers it.
    if (midAutumn && !(midAutumn >= ymd(y, 10, 1) && midAutumn <= ymd(y, 10, 7))) {
      out.push({ name: 'Mid-Autumn Festival', kind: 'holiday', start: midAutumn, end: midAutumn, uplift: 0.75, expectedUplift: 0.75 });
    }
    out.push({ name: 'National Day', kind: 'holiday', start: ymd(y, 10, 1), end: ymd(y, 10, 7), uplift: 0.65, expectedUplift: 0.65 });
    out.push({ name: 'Double 11', kind: 'festival', start: ymd(y, 11, 11), end: ymd(y, 11, 11), uplift: 1.9, expectedUplift: 1.8, businessUnits: ['payments'] });
    out.push({ name: 'Double 11', kind: 'festival', start: ymd(y, 11, 11), end: ymd(y, 11, 11), uplift: 1.5, expectedUplift: 1.45, businessUnits: ['cards'] });
    out.push({ name: 'Double 11 returns', kind: 'festival', start: ymd(y, 11, 12), end: ymd(y, 11, 13), uplift: 1.25, expectedUplift: 1.2, businessUnits: ['payments', 'cards'] });
    out.push({ name: 'Double 12', kind: 'festival', start: ymd(y, 12, 12), end: ymd(y, 12, 12), uplift: 1.35, expectedUplift: 1.3, businessUnits: ['payments'] });
    for (let m = 1; m <= 12; m++) {
      // Payday: a known day whose effect planners leave to the forecaster to learn from history.
      out.push({ name: 'Payday', kind: 'payday', start: ymd(y, m, 15), end: ymd(y, m, 15), uplift: 1.2, expectedUplift: null, businessUnits: ['deposits', 'payments'] });
      const monday = firstMonday(y, m);
      out.push({ name: 'Card cashback campaign', kind: 'campaign', start: monday, end: addDays(monday, 1), uplift: 1.35, expectedUplift: 1.3, businessUnits: ['cards'], channels: ['APP', 'WEB'] });
    }
  }
  return out;
}

/** The built-in calendar covering the local years of [start, end] (a finite end), or a year each side of start. */
export function defaultCalendar(startYear: number, endYear: number): VolumeEvent[] {
  return builtInCalendar(startYear - 1, endYear + 1);
}

const FLAG = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})\/(\d+(?:\.\d+)?)(m|h)\/x(\d+(?:\.\d+)?)((?:\/[a-z]+=[A-Za-z0-9_,.-]+)*)$/;

/**
 * Parses a surge flag `YYYY-MM-DDTHH:MM/<duration>(m|h)/x<factor>[/bu=a,b][/channel=HOTLINE]`, local
 * time in the zone given by `toUtc`.
 */
export function parseSurge(text: string, toUtc: (y: number, mo: number, d: number, h: number, mi: number) => number): Surge {
  const m = FLAG.exec(text.trim());
  if (!m) throw new Error(`not a surge: "${text}" (use e.g. 2025-11-05T10:00/4h/x2.5/bu=payments/channel=HOTLINE)`);
  const [date, time] = m[1]!.split('T') as [string, string];
  const { year, month, day } = parseDate(date);
  const [hh, mm] = time.split(':').map(Number) as [number, number];
  const from = toUtc(year, month, day, hh, mm);
  const to = from + Number(m[2]) * (m[3] === 'h' ? 3_600_000 : 60_000);
  const surge: Surge = { name: `surge ${text}`, from, to, factor: Number(m[4]) };
  for (const part of m[5]!.split('/').filter(Boolean)) {
    const [key, value] = part.split('=') as [string, string];
    const list = value.split(',');
    if (key === 'bu') surge.businessUnits = list;
    else if (key === 'channel') surge.channels = list as Channel[];
    else throw new Error(`surge: unknown qualifier "${key}" (bu, channel)`);
  }
  if (!(surge.factor > 0)) throw new Error(`surge factor must be > 0 in "${text}"`);
  return surge;
}
