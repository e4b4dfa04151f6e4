import { describe, expect, it } from 'vitest';
import { createTrafficGenerator } from '../src/generator.ts';
import { DAY0, DAY_MS } from './helpers.ts';

describe('bounded memory and speed', () => {
  it('generates a whole day without holding it: the pending queue stays tiny', () => {
    const gen = createTrafficGenerator({ seed: 3, start: DAY0, end: DAY0 + DAY_MS, timeZone: 'Europe/Berlin' });
    const heapBefore = process.memoryUsage().heapUsed;
    let n = 0;
    let maxHeap = heapBefore;
    const t0 = performance.now();
    for (const e of gen) {
      n++;
      if ((n & 0xffff) === 0) maxHeap = Math.max(maxHeap, process.memoryUsage().heapUsed);
      if (e.event.event_time < 0) throw new Error('impossible');
    }
    const secs = (performance.now() - t0) / 1000;
    const s = gen.stats();
    console.log(`one day @100k contacts: ${n.toLocaleString('en-US')} events in ${secs.toFixed(2)} s = ${Math.round(n / secs).toLocaleString('en-US')} events/s; max pending ${s.maxPending}; heap growth ≤ ${((maxHeap - heapBefore) / 1e6).toFixed(0)} MB`);
    expect(n).toBeGreaterThan(500_000);
    expect(s.emitted).toBe(n);
    // In flight: contacts of the last minutes + outcomes due later — not the day.
    expect(s.maxPending).toBeLessThan(10_000);
    expect(s.maxPending).toBeLessThan(n / 50);
    expect(s.pending).toBe(0);
  });

  it('at real-operation volume (4.5 M contacts/day, 420 products) the queue stays bounded too', () => {
    const start = DAY0 + 19 * 3_600_000; // evening peak (UTC)
    const gen = createTrafficGenerator({ seed: 3, start, end: start + 15 * 60_000, contactsPerDay: 4_500_000, products: 420 });
    let n = 0;
    const t0 = performance.now();
    for (const _ of gen) n++;
    const secs = (performance.now() - t0) / 1000;
    const s = gen.stats();
    console.log(`15 peak minutes @4.5M/day: ${n.toLocaleString('en-US')} events, ${Math.round(n / secs).toLocaleString('en-US')} events/s, max pending ${s.maxPending}, contacts ${s.contacts}`);
    expect(s.agentBorrowed).toBe(0);
    expect(s.maxPending).toBeLessThan(n / 4);
  });
});
