import { describe, it, expect } from 'vitest';
import { checkFuture, parseEvent, validateEvent } from '../src/validate.ts';
import { parseIsoMillis } from '../src/time.ts';
import { TOPICS, type Topic, type ValidationIssue } from '../src/types.ts';
import { SAMPLES, json } from './samples.ts';

function issuesOf(topic: string, input: unknown, opts?: { nowMs?: number }): ValidationIssue[] {
  const r = parseEvent(topic, input, opts);
  if (r.ok) throw new Error(`expected ${topic} input to be rejected`);
  return r.issues;
}

describe('parseEvent: structure', () => {
  it.each(TOPICS)('%s: accepts the sample event unchanged', (topic) => {
    expect(parseEvent(topic, json(topic))).toEqual({ ok: true, event: SAMPLES[topic] });
  });

  it('fills omitted optional fields with null', () => {
    const input = json('cs.sessions');
    delete input['intent'];
    delete input['agent_id'];
    const r = parseEvent('cs.sessions', input);
    expect(r.ok && r.event.intent === null && r.event.agent_id === null).toBe(true);
  });

  it('rejects an unknown topic', () => {
    expect(issuesOf('cs.nope', json('cs.sessions'))).toEqual([
      { field: 'topic', reason: expect.stringContaining('unknown topic "cs.nope"') },
    ]);
  });

  it('rejects non-objects', () => {
    expect(issuesOf('cs.agents', [1])).toEqual([{ field: '', reason: 'event must be a JSON object, got an array' }]);
    expect(issuesOf('cs.agents', null)).toEqual([{ field: '', reason: 'event must be a JSON object, got null' }]);
    expect(issuesOf('cs.agents', '{}')).toEqual([{ field: '', reason: 'event must be a JSON object, got "{}"' }]);
  });

  it('names every missing, mistyped and unknown field', () => {
    const input = json('cs.surveys', { score: '5', valid: 'yes', handled_by: 'BOT', colour: 'red' });
    delete input['user_id'];
    expect(issuesOf('cs.surveys', input)).toEqual([
      { field: 'user_id', reason: 'is required' },
      { field: 'handled_by', reason: 'must be one of SELF_SERVICE, HUMAN; got "BOT"' },
      { field: 'score', reason: 'must be a 32-bit integer, got "5"' },
      { field: 'valid', reason: 'must be true or false, got "yes"' },
      { field: 'colour', reason: 'is not a field of cs.surveys events' },
    ]);
  });

  it('rejects null for a required field and unknown `type` values', () => {
    expect(issuesOf('cs.calls', json('cs.calls', { queue: null, type: 'RINGING' }))).toEqual([
      { field: 'type', reason: 'must be one of OFFERED, ANSWERED, ABANDONED, ENDED; got "RINGING"' },
      { field: 'queue', reason: 'must not be null' },
    ]);
  });

  it('rejects non-integer and unsafe longs', () => {
    expect(issuesOf('cs.calls', json('cs.calls', { wait_ms: 1.5 }))).toEqual([
      { field: 'wait_ms', reason: 'must be an integer, got 1.5' },
    ]);
    expect(issuesOf('cs.calls', json('cs.calls', { wait_ms: 2 ** 60 }))[0]?.field).toBe('wait_ms');
  });
});

describe('parseEvent: event_time', () => {
  const at = (event_time: unknown) => parseEvent('cs.agents', json('cs.agents', { event_time }));

  it('accepts epoch ms and ISO-8601 with a zone, converting to epoch ms', () => {
    const expected = Date.UTC(2024, 4, 1, 0, 30, 0, 123);
    for (const t of [expected, '2024-05-01T00:30:00.123Z', '2024-05-01T08:30:00.123+08:00', '2024-04-30T19:30:00.123456-05:00', '2024-05-01 00:30:00.123z', '2024-05-01T08:30:00.123+0800']) {
      const r = at(t);
      expect(r.ok && r.event.event_time).toBe(expected);
    }
    const r = at('2024-05-01T00:30Z');
    expect(r.ok && r.event.event_time).toBe(Date.UTC(2024, 4, 1, 0, 30));
  });

  it('rejects zone-less, malformed and impossible times, naming event_time', () => {
    for (const t of ['2024-05-01T00:30:00', 'May 1 2024', '2024-02-30T00:00:00Z', '2023-02-29T00:00:00Z', '2024-05-01T24:00:00Z', '', true, 1.5, null]) {
      const r = at(t);
      expect(r.ok ? [] : r.issues.map((i) => i.field)).toEqual(['event_time']);
    }
    const r = at('yesterday');
    expect(r.ok ? '' : r.issues[0]?.reason).toMatch(/^must be epoch milliseconds \(an integer\) or an ISO-8601 date-time with time zone/);
  });

  it('rejects negative times (semantic rule)', () => {
    const r = at(-1);
    expect(r.ok ? [] : r.issues).toEqual([{ field: 'event_time', reason: 'must be a non-negative integer of epoch milliseconds, got -1' }]);
  });

  it('parseIsoMillis handles leap days and years below 100', () => {
    expect(parseIsoMillis('2024-02-29T12:00:00Z')).toBe(Date.UTC(2024, 1, 29, 12));
    expect(parseIsoMillis('0050-01-01T00:00:00Z')).toBe(new Date('0050-01-01T00:00:00Z').getTime());
  });
});

describe('semantic rules', () => {
  const rejects = (topic: Topic, changes: Record<string, unknown>): ValidationIssue[] => issuesOf(topic, json(topic, changes));

  it('requires non-empty ids, including optional ids when present', () => {
    expect(rejects('cs.sessions', { event_id: '', session_id: '  ', agent_id: '' })).toEqual([
      { field: 'event_id', reason: 'must be a non-empty id, got ""' },
      { field: 'session_id', reason: 'must be a non-empty id, got "  "' },
      { field: 'agent_id', reason: 'must be a non-empty id, got ""' },
    ]);
    expect(rejects('cs.complaints', { complaint_id: '' })).toEqual([{ field: 'complaint_id', reason: 'must be a non-empty id, got ""' }]);
    expect(rejects('cs.qa', { review_id: '', agent_id: '' }).map((i) => i.field)).toEqual(['review_id', 'agent_id']);
    expect(rejects('cs.surveys', { contact_id: '' }).map((i) => i.field)).toEqual(['contact_id']);
    expect(rejects('cs.calls', { call_id: '' }).map((i) => i.field)).toEqual(['call_id']);
  });

  it('rejects negative durations', () => {
    expect(rejects('cs.calls', { type: 'ENDED', talk_ms: -1, hold_ms: 0, acw_ms: 5 })).toEqual([
      { field: 'talk_ms', reason: 'must be a non-negative duration in milliseconds, got -1' },
    ]);
  });

  it('checks score ranges: survey 1–5, QA 0–100', () => {
    expect(rejects('cs.surveys', { score: 7 })).toEqual([{ field: 'score', reason: 'must be an integer 1–5, got 7' }]);
    expect(rejects('cs.surveys', { score: 0 })).toEqual([{ field: 'score', reason: 'must be an integer 1–5, got 0' }]);
    expect(rejects('cs.qa', { score: 101 })).toEqual([{ field: 'score', reason: 'must be an integer 0–100, got 101' }]);
    expect(parseEvent('cs.qa', json('cs.qa', { score: 0 })).ok).toBe(true);
    expect(parseEvent('cs.surveys', json('cs.surveys', { score: 1 })).ok).toBe(true);
  });

  it('enforces the per-type requirements', () => {
    expect(rejects('cs.sessions', { entry: null })).toEqual([{ field: 'entry', reason: 'is required when type is STARTED' }]);
    expect(parseEvent('cs.sessions', json('cs.sessions', { type: 'BOT_TURN', entry: null })).ok).toBe(true);
    expect(rejects('cs.calls', { agent_id: null, site_type: null, wait_ms: null })).toEqual([
      { field: 'agent_id', reason: 'is required when type is ANSWERED' },
      { field: 'site_type', reason: 'is required when type is ANSWERED' },
      { field: 'wait_ms', reason: 'is required when type is ANSWERED' },
    ]);
    expect(rejects('cs.calls', { type: 'ABANDONED', agent_id: null, site_type: null, wait_ms: null })).toEqual([
      { field: 'wait_ms', reason: 'is required when type is ABANDONED' },
    ]);
    expect(rejects('cs.calls', { type: 'ENDED', talk_ms: 1 }).map((i) => i.field)).toEqual(['hold_ms', 'acw_ms']);
    expect(parseEvent('cs.calls', json('cs.calls', { type: 'OFFERED', agent_id: null, site_type: null, wait_ms: null, session_id: null })).ok).toBe(true);
    expect(rejects('cs.outreach', { outreach_id: null })).toEqual([{ field: 'outreach_id', reason: 'is required when type is CONTACTED' }]);
    expect(parseEvent('cs.outreach', json('cs.outreach', { type: 'RETAINED', outreach_id: null })).ok).toBe(true);
  });

  it('validateEvent applies the same rules to typed events', () => {
    expect(validateEvent('cs.qa', SAMPLES['cs.qa'])).toEqual([]);
    expect(validateEvent('cs.qa', { ...SAMPLES['cs.qa'], score: -3 })).toEqual([{ field: 'score', reason: 'must be an integer 0–100, got -3' }]);
  });
});

describe('future rule', () => {
  const now = Date.UTC(2024, 4, 1, 12);
  const event = (offsetMs: number) => ({ event_time: now + offsetMs });

  it('checkFuture allows up to 1 h ahead and names event_time beyond', () => {
    expect(checkFuture(event(3_600_000), now)).toBeNull();
    expect(checkFuture(event(-86_400_000), now)).toBeNull();
    expect(checkFuture(event(3_600_001), now)).toEqual({
      field: 'event_time',
      reason: 'is 1 h in the future (2024-05-01T13:00:00.001Z); at most 1 h ahead of now is accepted',
    });
    expect(checkFuture(event(90_000), now, 60_000)?.reason).toMatch(/^is 1 min 30 s in the future/);
  });

  it('parseEvent judges it only when given nowMs', () => {
    const input = json('cs.agents', { event_time: now + 2 * 3_600_000 });
    expect(parseEvent('cs.agents', input).ok).toBe(true);
    expect(issuesOf('cs.agents', input, { nowMs: now }).map((i) => i.field)).toEqual(['event_time']);
    expect(parseEvent('cs.agents', input, { nowMs: now + 3_600_000 }).ok).toBe(true);
  });
});
