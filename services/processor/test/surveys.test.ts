import { describe, expect, it } from 'vitest';
import type { SurveyEvent } from '@cs/schemas';
import type { TopicLogic } from '../src/engine/types.ts';
import { surveysLogic } from '../src/logic/surveys.ts';
import { figures, metricKey, recorded, RULES, runLogic, type HarnessResult } from './harness.ts';
import { mulberry32, randomBatches, shuffleWithinLateness } from './random.ts';

const L = RULES.allowedLatenessMs;
const at = (iso: string) => Date.parse(iso);
let n = 0;

function survey(time: string | number, score: number, extra: Partial<SurveyEvent> = {}): SurveyEvent {
  return {
    event_id: `e${String(++n).padStart(6, '0')}`,
    event_time: typeof time === 'number' ? time : at(time),
    business_unit: 'b',
    product: 'p',
    type: 'RESPONDED',
    survey_id: `v${n}`,
    contact_id: `s${n}`,
    user_id: 'u1',
    channel: 'APP',
    handled_by: 'SELF_SERVICE',
    score,
    valid: true,
    ...extra,
  };
}

const logic = surveysLogic as TopicLogic;
const get = (r: HarnessResult, grain: string, bucket: string, metric: string, channel = 'APP', bu = 'b', product = 'p') =>
  r.metrics.get(metricKey(grain, at(bucket), metric, bu, product, channel));

describe('surveys logic', () => {
  it('sums valid responses at minute, hour and day, per business unit, product and channel', () => {
    const events = [
      survey('2026-03-01T10:00:05Z', 5),
      survey('2026-03-01T10:00:50Z', 4),
      survey('2026-03-01T10:01:00Z', 5, { handled_by: 'HUMAN' }),
      survey('2026-03-01T10:30:00Z', 1, { handled_by: 'HUMAN' }),
      survey('2026-03-01T10:40:00Z', 5, { valid: false }), // not counted
      survey('2026-03-01T11:00:00Z', 5, { channel: 'HOTLINE' }),
      survey('2026-03-01T11:59:59Z', 3),
    ];
    const r = runLogic(logic, [events]);
    expect(get(r, 'minute', '2026-03-01T10:00:00Z', 'satisfaction_top_box')).toEqual([1, 2]);
    expect(get(r, 'minute', '2026-03-01T10:00:00Z', 'self_service_satisfaction')).toEqual([1, 2]);
    expect(get(r, 'minute', '2026-03-01T10:01:00Z', 'satisfaction_top_box')).toEqual([1, 1]);
    expect(get(r, 'minute', '2026-03-01T10:01:00Z', 'self_service_satisfaction')).toBeUndefined();
    expect(get(r, 'minute', '2026-03-01T10:40:00Z', 'satisfaction_top_box')).toBeUndefined();
    expect(get(r, 'hour', '2026-03-01T10:00:00Z', 'satisfaction_top_box')).toEqual([2, 4]);
    expect(get(r, 'hour', '2026-03-01T10:00:00Z', 'self_service_satisfaction')).toEqual([1, 2]);
    expect(get(r, 'hour', '2026-03-01T11:00:00Z', 'satisfaction_top_box')).toEqual([0, 1]);
    expect(get(r, 'hour', '2026-03-01T11:00:00Z', 'satisfaction_top_box', 'HOTLINE')).toEqual([1, 1]);
    expect(get(r, 'day', '2026-03-01T00:00:00Z', 'satisfaction_top_box')).toEqual([2, 5]);
    expect(get(r, 'day', '2026-03-01T00:00:00Z', 'self_service_satisfaction')).toEqual([1, 3]);
    expect(get(r, 'day', '2026-03-01T00:00:00Z', 'self_service_satisfaction', 'HOTLINE')).toEqual([1, 1]);
    expect(r.deadLetters).toEqual([]);
  });

  it('drops redelivered event_ids', () => {
    const a = survey('2026-03-01T10:00:00Z', 5);
    const b = survey('2026-03-01T10:20:00Z', 2);
    const rec = recorded(logic);
    const r = runLogic(rec.logic, [[a, b, { ...a }], [{ ...b }]]);
    expect(rec.sequence).toEqual([{ kind: 'ok' }, { kind: 'ok' }, { kind: 'drop', why: 'duplicate' }, { kind: 'drop', why: 'duplicate' }]);
    expect(get(r, 'day', '2026-03-01T00:00:00Z', 'satisfaction_top_box')).toEqual([1, 2]);
  });

  it('forgets event ids as stream time moves past them (bounded state)', () => {
    const events: SurveyEvent[] = [];
    for (let i = 0; i < 600; i++) events.push(survey(at('2026-03-01T00:00:00Z') + i * 30_000, 1 + (i % 5)));
    const r = runLogic(logic, [events.slice(0, 300), events.slice(300)], { idleCloseAt: at('2026-04-01T00:00:00Z') });
    const keys = [...r.state.entries('d:')];
    // 600 responses over 5 h: only the last lateness (+1 min) of ids is kept.
    expect(keys.length).toBeLessThanOrEqual(L / 60_000 + 2);
    expect(keys.flatMap(([, ids]) => ids as string[]).length).toBeLessThanOrEqual(2 * (L / 60_000 + 2));
    expect(get(r, 'day', '2026-03-01T00:00:00Z', 'satisfaction_top_box')).toEqual([120, 600]);
  });

  it('gives identical figures for shuffled arrival within the lateness and any flush boundaries', () => {
    const rand = mulberry32(3);
    const events: SurveyEvent[] = [];
    for (let i = 0; i < 500; i++) {
      const e = survey(at('2026-03-01T21:00:00Z') + Math.floor(rand() * 5 * 3_600_000), 1 + Math.floor(rand() * 5), {
        valid: rand() < 0.95,
        handled_by: rand() < 0.5 ? 'SELF_SERVICE' : 'HUMAN',
        channel: rand() < 0.5 ? 'APP' : 'WEB',
      });
      events.push(e);
      if (rand() < 0.1) events.push({ ...e });
    }
    const inOrder = [...events].sort((a, b) => a.event_time - b.event_time);
    const shuffled = shuffleWithinLateness(events, 0.9 * L, rand);
    const base = runLogic(logic, [inOrder]);
    for (const r of [runLogic(logic, [shuffled]), runLogic(logic, shuffled.map((e) => [e])), runLogic(logic, randomBatches(shuffled, rand, 30))]) {
      expect(r.deadLetters).toEqual([]);
      expect(figures(r)).toEqual(figures(base));
    }
    const unique = [...new Map(events.map((e) => [e.event_id, e])).values()].filter((e) => e.valid);
    const [top, all] = [unique.filter((e) => e.score === 5).length, unique.length];
    const day = (d: string, m: string) => ['APP', 'WEB'].map((c) => get(base, 'day', d, m, c) ?? ([0, 0] as [number, number]));
    const sum = (m: string) => [...day('2026-03-01T00:00:00Z', m), ...day('2026-03-02T00:00:00Z', m)].reduce<[number, number]>((a, b) => [a[0] + b[0], a[1] + b[1]], [0, 0]);
    expect(sum('satisfaction_top_box')).toEqual([top, all]);
    const self = unique.filter((e) => e.handled_by === 'SELF_SERVICE');
    expect(sum('self_service_satisfaction')).toEqual([self.filter((e) => e.score === 5).length, self.length]);
  });
});
