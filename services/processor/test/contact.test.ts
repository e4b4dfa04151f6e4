import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '@cs/schemas';
import { contactOf, INACTIVITY_MS } from '../src/logic/contact.ts';

const ev = (id: string, type: SessionEvent['type'], minute: number): SessionEvent => ({
  event_id: id,
  event_time: minute * 60_000,
  business_unit: 'b',
  product: 'p',
  type,
  session_id: 's',
  user_id: 'u',
  channel: 'APP',
  entry: type === 'STARTED' ? 'SELF_SERVICE' : null,
  intent: null,
  agent_id: null,
});

describe('contactOf', () => {
  it('is the same whatever the arrival order', () => {
    const events = [ev('a', 'STARTED', 0), ev('b', 'BOT_TURN', 1), ev('c', 'ENDED', 2), ev('d', 'BOT_TURN', 3)];
    const shuffled = [events[3]!, events[1]!, events[2]!, events[0]!];
    const x = contactOf(events);
    const y = contactOf(shuffled);
    expect(y).toEqual(x);
    expect(x.members.map((e) => e.event_id)).toEqual(['a', 'b', 'c']);
    expect(x.after.map((e) => e.event_id)).toEqual(['d']);
    expect(x.end).toBe(2 * 60_000);
    expect(x.windowEnd).toBe(2 * 60_000);
  });

  it('ends after 30 minutes of inactivity at the last event', () => {
    const x = contactOf([ev('a', 'STARTED', 0), ev('b', 'BOT_TURN', 30), ev('c', 'BOT_TURN', 61)]);
    expect(x.endedBy).toBe('inactivity');
    expect(x.end).toBe(30 * 60_000);
    expect(x.windowEnd).toBe(30 * 60_000 + INACTIVITY_MS);
    expect(x.after.map((e) => e.event_id)).toEqual(['c']);
  });

  it('keeps events at the same instant as ENDED and puts events before STARTED aside', () => {
    const x = contactOf([ev('z', 'BOT_TURN', -1), ev('a', 'STARTED', 0), ev('c', 'ENDED', 5), ev('b', 'BOT_TURN', 5)]);
    expect(x.members.map((e) => e.event_id)).toEqual(['a', 'b', 'c']);
    expect(x.before.map((e) => e.event_id)).toEqual(['z']);
  });

  it('has no start without STARTED', () => {
    const x = contactOf([ev('b', 'BOT_TURN', 1), ev('c', 'ENDED', 2)]);
    expect(x.start).toBeNull();
    expect(x.before).toHaveLength(2);
  });
});
