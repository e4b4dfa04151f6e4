import { describe, expect, it } from 'vitest';
import { coverWithShifts } from '../src/generator.ts';
import { diurnal } from '../src/profile.ts';
import { Rng } from '../src/rng.ts';
import { buildWorld } from '../src/world.ts';
import { ZoneClock, parseDate } from '../src/zone.ts';

describe('ZoneClock', () => {
  it('maps local wall-clock times to instants, including DST days of 23 and 25 hours', () => {
    const ny = new ZoneClock('America/New_York');
    const a = ny.toUtc(2025, 3, 9);
    expect(new Date(a).toISOString()).toBe('2025-03-09T05:00:00.000Z');
    expect((ny.nextDay(a) - a) / 3_600_000).toBe(23);
    const lon = new ZoneClock('Europe/London');
    const b = lon.toUtc(2025, 10, 26);
    expect((lon.nextDay(b) - b) / 3_600_000).toBe(25);
    const sh = new ZoneClock('Asia/Shanghai');
    const c = sh.toUtc(2025, 1, 1, 8, 30);
    expect(new Date(c).toISOString()).toBe('2025-01-01T00:30:00.000Z');
    expect(sh.hourOfDay(c)).toBe(8.5);
    expect(sh.dateString(c)).toBe('2025-01-01');
    expect(sh.weekday(c)).toBe(3); // a Wednesday
    // In the spring-forward gap (02:30 does not exist) we get a valid instant after it.
    const gap = ny.toUtc(2025, 3, 9, 2, 30);
    expect(ny.hourOfDay(gap)).toBeGreaterThanOrEqual(3);
  });

  it('parses dates strictly', () => {
    expect(parseDate('2025-02-28')).toEqual({ year: 2025, month: 2, day: 28 });
    expect(() => parseDate('2025-02-30')).toThrow();
    expect(() => parseDate('25-2-3')).toThrow();
  });
});

describe('building blocks', () => {
  it('Rng is deterministic and roughly uniform', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const xs = Array.from({ length: 10_000 }, () => a.next());
    expect(xs.every((x) => x === b.next())).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
    expect(new Rng(8).next()).not.toBe(new Rng(7).next());
  });

  it('the diurnal curve has mean 1, a quiet night and two peaks', () => {
    let sum = 0;
    for (let m = 0; m < 1440; m++) sum += diurnal(m / 60);
    expect(sum / 1440).toBeCloseTo(1, 2);
    expect(diurnal(4)).toBeLessThan(0.2);
    expect(diurnal(10.5)).toBeGreaterThan(1.5);
    expect(diurnal(20.4)).toBeGreaterThan(1.5);
  });

  it('shift planning covers every hour of the demand', () => {
    const demand = [2, 2, 2, 2, 2, 3, 5, 9, 14, 18, 20, 19, 17, 16, 16, 15, 13, 12, 15, 19, 21, 17, 9, 4];
    const starts = coverWithShifts(demand, 8);
    for (let h = 0; h < 24; h++) {
      let covered = 0;
      for (let k = 0; k < 8; k++) covered += starts[(h - k + 24) % 24]!;
      expect(covered).toBeGreaterThanOrEqual(demand[h]!);
    }
  });

  it('the product catalogue has the requested size, 7 units, unique names, independent of the seed', () => {
    for (const n of [7, 60, 420]) {
      const w = buildWorld(n);
      const all = w.products.flat();
      expect(all.length).toBe(n);
      expect(w.businessUnits.length).toBe(7);
      expect(new Set(w.products.flatMap((p, b) => p.map((x) => `${w.businessUnits[b]}/${x}`))).size).toBe(n);
    }
    expect(buildWorld(420)).toEqual(buildWorld(420));
  });
});
