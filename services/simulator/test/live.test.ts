import type { EventProducer, TopicEvent } from '@cs/producer';
import { parseEvent } from '@cs/schemas';
import { describe, expect, it } from 'vitest';
import { startLiveSimulator } from '../src/live.ts';

function fakeProducer(failFirst = 0): EventProducer & { sent: TopicEvent[]; calls: number; sendTimes: number[] } {
  let failures = failFirst;
  const p = {
    sent: [] as TopicEvent[],
    calls: 0,
    sendTimes: [] as number[],
    async send(items: TopicEvent[]) {
      p.calls++;
      if (failures > 0) {
        failures--;
        throw new Error('broker unavailable');
      }
      p.sendTimes.push(Date.now());
      p.sent.push(...items);
    },
    async close() {},
  };
  return p;
}

describe('startLiveSimulator', () => {
  it('emits valid events in real time (event_time ≤ now when sent) in small batches, and stops cleanly', async () => {
    const producer = fakeProducer();
    const t0 = Date.now();
    const sim = startLiveSimulator({ ratePerMinute: 3000, seed: 5, batchSize: 50, tickMs: 20 }, producer);
    await new Promise((r) => setTimeout(r, 1500));
    await sim.stop();
    const s = sim.stats();
    expect(s.running).toBe(false);
    expect(s.sent).toBe(producer.sent.length);
    // 3000/min = 50 contacts/s ≈ 300 events/s (plus agents logging in at start)
    expect(s.contacts).toBeGreaterThan(30);
    expect(s.sent).toBeGreaterThan(150);
    expect(producer.calls).toBeGreaterThan(3);
    const tEnd = Date.now();
    for (const { topic, event } of producer.sent) {
      expect(parseEvent(topic, event).ok).toBe(true);
      expect(event.event_time).toBeGreaterThanOrEqual(t0);
      expect(event.event_time).toBeLessThanOrEqual(tEnd);
    }
    expect(s.dropped).toBe(0);
  });

  it('retries failed sends without losing events, and honours durationMs', async () => {
    const producer = fakeProducer(2);
    const sim = startLiveSimulator({ ratePerMinute: 6000, seed: 6, tickMs: 20, durationMs: 1200 }, producer);
    await sim.done;
    const s = sim.stats();
    expect(s.running).toBe(false);
    expect(s.failedSends).toBe(2);
    expect(s.dropped).toBe(0);
    expect(s.sent).toBe(producer.sent.length);
    expect(new Set(producer.sent.map((e) => e.event.event_id)).size).toBe(producer.sent.length);
    // Order is kept across the retries.
    for (let i = 1; i < producer.sent.length; i++) expect(producer.sent[i]!.event.event_time).toBeGreaterThanOrEqual(producer.sent[i - 1]!.event.event_time);
  });

  it('two runs with the same seed use different ids (ids carry the start time)', async () => {
    const a = fakeProducer();
    const b = fakeProducer();
    const s1 = startLiveSimulator({ ratePerMinute: 6000, seed: 1, tickMs: 10, durationMs: 300 }, a);
    await new Promise((r) => setTimeout(r, 5));
    const s2 = startLiveSimulator({ ratePerMinute: 6000, seed: 1, tickMs: 10, durationMs: 300 }, b);
    await Promise.all([s1.done, s2.done]);
    const ids = new Set(a.sent.map((e) => e.event.event_id));
    expect(b.sent.length).toBeGreaterThan(0);
    expect(b.sent.some((e) => ids.has(e.event.event_id))).toBe(false);
  });
});
