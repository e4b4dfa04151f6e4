import { describe, expect, it } from 'vitest';
import { builtInCalendar, parseSurge, type VolumeEvent } from '../src/calendar.ts';
import { createTrafficGenerator, type SimOptions } from '../src/generator.ts';
import { ZoneClock } from '../src/zone.ts';

const TZ = 'Asia/Shanghai';
const zone = new ZoneClock(TZ);
const day = (date: string) => {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return zone.toUtc(y, m, d);
};

/** Contacts started per local date and business unit (and channel). */
function started(opts: SimOptions): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  for (const { topic, event } of createTrafficGenerator(opts)) {
    if (topic !== 'cs.sessions' || event.type !== 'STARTED') continue;
    const date = zone.dateString(event.event_time);
    add(`${date}|${event.business_unit}`);
    add(`${date}|${event.business_unit}|${event.channel}`);
    add(date);
  }
  return counts;
}

const BASE = { seed: 7, timeZone: TZ, contactsPerDay: 40_000, products: 14 } as const;

describe('calendar: known days with known uplift', () => {
  it('Double 11 lifts payments ×1.9 and cards ×1.5 against the same weekday two weeks before; other units stay', () => {
    // 2025-10-28 and 2025-11-11 are both Tuesdays, 10-28 a usual day (11-04 has the card campaign).
    const c = started({ ...BASE, start: day('2025-10-28'), end: day('2025-10-29') });
    const d = started({ ...BASE, start: day('2025-11-11'), end: day('2025-11-12') });
    const ratio = (bu: string) => d.get(`2025-11-11|${bu}`)! / c.get(`2025-10-28|${bu}`)!;
    expect(ratio('payments')).toBeGreaterThan(1.9 * 0.92);
    expect(ratio('payments')).toBeLessThan(1.9 * 1.08);
    expect(ratio('cards')).toBeGreaterThan(1.5 * 0.92);
    expect(ratio('cards')).toBeLessThan(1.5 * 1.08);
    for (const bu of ['deposits', 'loans', 'mortgage']) {
      expect(ratio(bu), bu).toBeGreaterThan(0.9);
      expect(ratio(bu), bu).toBeLessThan(1.1);
    }
  });

  it('a holiday lowers every unit; a campaign scoped to channels lifts only those channels', () => {
    // National Day 2025-10-02 (Thursday) vs 2025-09-25 (Thursday): ×0.65.
    const before = started({ ...BASE, start: day('2025-09-25'), end: day('2025-09-26') });
    const holiday = started({ ...BASE, start: day('2025-10-02'), end: day('2025-10-03') });
    const r = holiday.get('2025-10-02')! / before.get('2025-09-25')!;
    expect(r).toBeGreaterThan(0.65 * 0.94);
    expect(r).toBeLessThan(0.65 * 1.06);
    // Card cashback campaign, first Monday of December 2025 (12-01), APP and WEB ×1.35, not HOTLINE.
    const usual = started({ ...BASE, start: day('2025-11-24'), end: day('2025-11-25') });
    const campaign = started({ ...BASE, start: day('2025-12-01'), end: day('2025-12-02') });
    const ch = (ch: string) => campaign.get(`2025-12-01|cards|${ch}`)! / usual.get(`2025-11-24|cards|${ch}`)!;
    expect(ch('APP')).toBeGreaterThan(1.35 * 0.9);
    expect(ch('APP')).toBeLessThan(1.35 * 1.1);
    expect(ch('HOTLINE')).toBeGreaterThan(0.88);
    expect(ch('HOTLINE')).toBeLessThan(1.12);
  });

  it('the built-in calendar has the operation’s known days, with what planners expect (payday left to the forecaster)', () => {
    const cal = builtInCalendar(2025, 2025);
    const find = (name: string) => cal.filter((e) => e.name === name);
    expect(find('Double 11').map((e) => [e.start, e.businessUnits?.[0], e.uplift])).toEqual([
      ['2025-11-11', 'payments', 1.9],
      ['2025-11-11', 'cards', 1.5],
    ]);
    expect(find('Spring Festival')[0]).toMatchObject({ start: '2025-01-28', end: '2025-02-03', kind: 'holiday' });
    expect(find('Payday').every((e) => e.expectedUplift === null)).toBe(true);
    // Mid-Autumn 2025 falls in the National Day holiday, which covers it.
    expect(find('Mid-Autumn Festival')).toEqual([]);
  });

  it('agents are planned for the known days: more shifts on Double 11, and nobody logs in twice', () => {
    const loggedIn = new Set<string>();
    const shifts = new Map<string, number>();
    const problems: string[] = [];
    for (const { topic, event } of createTrafficGenerator({ ...BASE, start: day('2025-11-09'), end: day('2025-11-12') })) {
      if (topic !== 'cs.agents') continue;
      if (event.type === 'LOGGED_IN') {
        if (loggedIn.has(event.agent_id)) problems.push(`${event.agent_id} logged in twice`);
        loggedIn.add(event.agent_id);
        const key = `${zone.dateString(event.event_time)}|${event.business_unit}`;
        shifts.set(key, (shifts.get(key) ?? 0) + 1);
      } else loggedIn.delete(event.agent_id);
    }
    expect(problems).toEqual([]);
    expect(shifts.get('2025-11-11|payments')!).toBeGreaterThan(1.5 * shifts.get('2025-11-10|payments')!);
  });

  it('calendar: [] gives usual days only', () => {
    const none = started({ ...BASE, calendar: [], start: day('2025-11-11'), end: day('2025-11-12') });
    const usual = started({ ...BASE, calendar: [], start: day('2025-11-04'), end: day('2025-11-05') });
    const r = none.get('2025-11-11|payments')! / usual.get('2025-11-04|payments')!;
    expect(r).toBeGreaterThan(0.92);
    expect(r).toBeLessThan(1.08);
  });
});

describe('trend and surges', () => {
  it('a weekly trend compounds from the window start', () => {
    const c = started({ ...BASE, contactsPerDay: 15_000, calendar: [], trendPerWeek: 0.05, start: day('2025-03-03'), end: day('2025-03-25') });
    // Mondays three weeks apart: 1.05^3 ≈ 1.158.
    const growth = c.get('2025-03-24')! / c.get('2025-03-03')!;
    expect(growth).toBeGreaterThan(Math.pow(1.05, 3) * 0.95);
    expect(growth).toBeLessThan(Math.pow(1.05, 3) * 1.05);
  });

  it('an unannounced surge multiplies only its window, business unit and channel, and agents are not planned for it', () => {
    const surge = parseSurge('2025-03-05T10:00/4h/x2.5/bu=payments/channel=HOTLINE', (y, mo, d, h, mi) => zone.toUtc(y, mo, d, h, mi));
    expect(surge.to - surge.from).toBe(4 * 3_600_000);
    const window = { ...BASE, calendar: [] as VolumeEvent[], start: day('2025-03-05'), end: day('2025-03-06') };
    const inWindow = (t: number) => t >= surge.from && t < surge.to;
    const count = (surges: typeof surge[]) => {
      let hotline = 0;
      let other = 0;
      let outside = 0;
      let loggedIn = 0;
      for (const { topic, event } of createTrafficGenerator({ ...window, surges })) {
        if (topic === 'cs.agents' && event.type === 'LOGGED_IN') loggedIn++;
        if (topic !== 'cs.sessions' || event.type !== 'STARTED') continue;
        if (!inWindow(event.event_time)) {
          if (event.business_unit === 'payments' && event.channel === 'HOTLINE') outside++;
        } else if (event.business_unit === 'payments' && event.channel === 'HOTLINE') hotline++;
        else if (event.business_unit === 'payments') other++;
      }
      return { hotline, other, outside, loggedIn };
    };
    const calm = count([]);
    const surged = count([surge]);
    expect(surged.hotline / calm.hotline).toBeGreaterThan(2.5 * 0.88);
    expect(surged.hotline / calm.hotline).toBeLessThan(2.5 * 1.12);
    expect(surged.other / calm.other).toBeGreaterThan(0.9);
    expect(surged.other / calm.other).toBeLessThan(1.1);
    expect(surged.outside / calm.outside).toBeGreaterThan(0.85);
    expect(surged.outside / calm.outside).toBeLessThan(1.15);
    expect(surged.loggedIn).toBe(calm.loggedIn);
  });

  it('rejects a malformed surge with the expected format', () => {
    expect(() => parseSurge('tomorrow/x2', () => 0)).toThrow(/2025-11-05T10:00\/4h\/x2.5/);
    expect(() => parseSurge('2025-03-05T10:00/1h/x2/team=a', () => 0)).toThrow(/unknown qualifier/);
  });
});
