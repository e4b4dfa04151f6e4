import { describe, expect, it } from 'vitest';
import { Buckets } from '../src/buckets.ts';

const iso = (ms: number) => new Date(ms).toISOString();

describe('Buckets', () => {
  it('takes days and hours in Asia/Shanghai (UTC+8)', () => {
    const b = new Buckets('Asia/Shanghai');
    const t = Date.parse('2026-03-01T16:05:00Z'); // 00:05 on 2 March local
    expect(iso(b.start(t, 'day'))).toBe('2026-03-01T16:00:00.000Z');
    expect(iso(b.start(t, 'hour'))).toBe('2026-03-01T16:00:00.000Z');
    expect(iso(b.start(t, 'minute'))).toBe('2026-03-01T16:05:00.000Z');
    expect(iso(b.start(Date.parse('2026-03-01T15:59:59.999Z'), 'day'))).toBe('2026-02-28T16:00:00.000Z');
  });

  it('gives a DST day 23 hours in America/New_York and keeps local hours', () => {
    const b = new Buckets('America/New_York');
    // 8 March 2026: clocks jump from 02:00 EST to 03:00 EDT.
    const dayStart = b.start(Date.parse('2026-03-08T12:00:00Z'), 'day');
    const nextDay = b.start(Date.parse('2026-03-09T12:00:00Z'), 'day');
    expect(iso(dayStart)).toBe('2026-03-08T05:00:00.000Z');
    expect((nextDay - dayStart) / 3_600_000).toBe(23);
    expect(iso(b.start(Date.parse('2026-03-08T07:30:00Z'), 'hour'))).toBe('2026-03-08T07:00:00.000Z'); // 03:30 EDT
    // 1 November 2026: 25-hour day.
    const fallStart = b.start(Date.parse('2026-11-01T12:00:00Z'), 'day');
    expect((b.start(Date.parse('2026-11-02T12:00:00Z'), 'day') - fallStart) / 3_600_000).toBe(25);
  });

  it('follows half-hour offsets (Asia/Kolkata) for hours', () => {
    const b = new Buckets('Asia/Kolkata');
    expect(iso(b.start(Date.parse('2026-03-01T10:10:00Z'), 'hour'))).toBe('2026-03-01T09:30:00.000Z');
    expect(iso(b.start(Date.parse('2026-03-01T10:10:00Z'), 'day'))).toBe('2026-02-28T18:30:00.000Z');
  });
});
