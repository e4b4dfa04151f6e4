import { describe, expect, it } from 'vitest';
import { SlotGrid } from '../src/grid.ts';
import { normalQuantile } from '../src/models/seasonal-naive.ts';
import { dayScore } from '../src/accuracy.ts';

describe('the half-hour grid in local time', () => {
  it('maps instants to local date and slot (Asia/Shanghai, UTC+8)', () => {
    const g = new SlotGrid('Asia/Shanghai');
    expect(g.slotAt(Date.UTC(2025, 10, 10, 16, 0))).toEqual({ date: '2025-11-11', slot: 0 });
    expect(g.slotAt(Date.UTC(2025, 10, 11, 2, 45))).toEqual({ date: '2025-11-11', slot: 21 });
    expect(g.instants('2025-11-11', 21)).toEqual([Date.UTC(2025, 10, 11, 2, 30)]);
    expect(g.slotStart(Date.UTC(2025, 10, 11, 2, 45, 10))).toBe(Date.UTC(2025, 10, 11, 2, 30));
  });

  it('a spring-forward day skips its 02:00–03:00 slots; a fall-back day repeats them (Europe/Berlin)', () => {
    const g = new SlotGrid('Europe/Berlin');
    expect(g.instants('2025-03-30', 4)).toEqual([]);
    expect(g.instants('2025-03-30', 5)).toEqual([]);
    expect(g.instants('2025-03-30', 6)).toEqual([Date.UTC(2025, 2, 30, 1, 0)]);
    const twice = g.instants('2025-10-26', 4);
    expect(twice).toEqual([Date.UTC(2025, 9, 26, 0, 0), Date.UTC(2025, 9, 26, 1, 0)]);
    for (const t of twice) expect(g.slotAt(t)).toEqual({ date: '2025-10-26', slot: 4 });
    expect(g.dayStart('2025-10-26')).toBe(Date.UTC(2025, 9, 25, 22, 0));
  });
});

describe('helpers', () => {
  it('normal quantiles', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.95)).toBeCloseTo(1.644854, 5);
    expect(normalQuantile(0.005)).toBeCloseTo(-2.575829, 5);
  });

  it('day score: accuracy 1 − |ΣF − ΣA| / ΣA and WAPE Σ|F − A| / ΣA as sums', () => {
    const s = dayScore([10, 30], [20, 20]);
    expect(s).toEqual({ forecast: 40, actual: 40, accuracyNumerator: 40, absoluteError: 20 });
    expect(dayScore([50, 40], [20, 20]).accuracyNumerator).toBe(-10);
  });
});
