import { describe, expect, it } from 'vitest';
import { DAY0, collect } from './helpers.ts';

const BASE = { seed: 11, start: DAY0 + 9 * 3_600_000, end: DAY0 + 11 * 3_600_000, contactsPerDay: 50_000 };

describe('realism knobs for tests', () => {
  it('duplicateRate re-emits events with the same event_id; the underlying traffic is unchanged', () => {
    const clean = collect(BASE);
    const noisy = collect({ ...BASE, duplicateRate: 0.05 });
    const extra = noisy.length - clean.length;
    expect(extra / clean.length).toBeGreaterThan(0.04);
    expect(extra / clean.length).toBeLessThan(0.06);
    const seen = new Map<string, string>();
    let dups = 0;
    for (const e of noisy) {
      const json = JSON.stringify(e);
      const prior = seen.get(e.event.event_id);
      if (prior !== undefined) {
        dups++;
        expect(json).toBe(prior); // an exact redelivery
      } else seen.set(e.event.event_id, json);
    }
    expect(dups).toBe(extra);
    expect(seen.size).toBe(clean.length);
    expect(new Set(clean.map((e) => JSON.stringify(e)))).toEqual(new Set(seen.values()));
  });

  it('disorderMs shuffles events, but never by more than disorderMs of event time', () => {
    const clean = collect(BASE);
    const shuffled = collect({ ...BASE, disorderMs: 5_000 });
    expect(shuffled.length).toBe(clean.length);
    let inversions = 0;
    let maxBack = 0;
    let maxSeen = -Infinity;
    for (const { event } of shuffled) {
      if (event.event_time < maxSeen) {
        inversions++;
        maxBack = Math.max(maxBack, maxSeen - event.event_time);
      }
      maxSeen = Math.max(maxSeen, event.event_time);
    }
    expect(inversions).toBeGreaterThan(100);
    expect(maxBack).toBeLessThanOrEqual(5_000);
    expect(new Set(shuffled.map((e) => e.event.event_id))).toEqual(new Set(clean.map((e) => e.event.event_id)));
  });
});
