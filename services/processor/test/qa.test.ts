import { describe, expect, it } from 'vitest';
import type { QaEvent } from '@cs/schemas';
import type { TopicLogic } from '../src/engine/types.ts';
import { qaLogic } from '../src/logic/qa.ts';
import { figures, metricKey, recorded, RULES, runLogic, type HarnessResult } from './harness.ts';
import { mulberry32, randomBatches, shuffleWithinLateness } from './random.ts';

const L = RULES.allowedLatenessMs;
const at = (iso: string) => Date.parse(iso);
let n = 0;

function review(time: string | number, score: number, passed: boolean, extra: Partial<QaEvent> = {}): QaEvent {
  return {
    event_id: `e${String(++n).padStart(6, '0')}`,
    event_time: typeof time === 'number' ? time : at(time),
    business_unit: 'b',
    product: 'p',
    type: 'REVIEWED',
    review_id: `r${n}`,
    contact_id: `s${n}`,
    agent_id: 'a1',
    channel: 'HOTLINE',
    score,
    passed,
    ...extra,
  };
}

const logic = qaLogic as TopicLogic;
const get = (r: HarnessResult, grain: string, bucket: string, metric: string, channel = 'HOTLINE', bu = 'b', product = 'p') =>
  r.metrics.get(metricKey(grain, at(bucket), metric, bu, product, channel));

describe('qa logic', () => {
  it('sums scores and passes at minute, hour and day, attributed to REVIEWED and its dims', () => {
    const r = runLogic(logic, [
      [
        review('2026-03-01T10:00:00Z', 90, true),
        review('2026-03-01T10:00:30Z', 55, false),
        review('2026-03-01T10:45:00Z', 100, true, { channel: 'APP' }),
        review('2026-03-01T11:10:00Z', 0, false),
        review('2026-03-01T23:59:59Z', 80, true, { business_unit: 'b2' }),
      ],
    ]);
    expect(get(r, 'minute', '2026-03-01T10:00:00Z', 'qa_avg_score')).toEqual([145, 2]);
    expect(get(r, 'minute', '2026-03-01T10:00:00Z', 'qa_pass_rate')).toEqual([1, 2]);
    expect(get(r, 'hour', '2026-03-01T10:00:00Z', 'qa_avg_score')).toEqual([145, 2]);
    expect(get(r, 'hour', '2026-03-01T10:00:00Z', 'qa_avg_score', 'APP')).toEqual([100, 1]);
    expect(get(r, 'hour', '2026-03-01T11:00:00Z', 'qa_avg_score')).toEqual([0, 1]);
    expect(get(r, 'hour', '2026-03-01T11:00:00Z', 'qa_pass_rate')).toEqual([0, 1]);
    expect(get(r, 'day', '2026-03-01T00:00:00Z', 'qa_avg_score')).toEqual([145, 3]);
    expect(get(r, 'day', '2026-03-01T00:00:00Z', 'qa_pass_rate')).toEqual([1, 3]);
    expect(get(r, 'day', '2026-03-01T00:00:00Z', 'qa_pass_rate', 'HOTLINE', 'b2')).toEqual([1, 1]);
  });

  it('drops redelivered event_ids; keeps only about a lateness of ids', () => {
    const rec = recorded(logic);
    const a = review('2026-03-01T10:00:00Z', 70, true);
    const r = runLogic(rec.logic, [[a, { ...a }], [{ ...a }, review('2026-03-01T10:10:00Z', 30, false)]]);
    expect(rec.sequence.map((x) => x.kind)).toEqual(['ok', 'drop', 'drop', 'ok']);
    expect(get(r, 'day', '2026-03-01T00:00:00Z', 'qa_avg_score')).toEqual([100, 2]);
    const many: QaEvent[] = [];
    for (let i = 0; i < 300; i++) many.push(review(at('2026-03-02T00:00:00Z') + i * 60_000, 50, true));
    const big = runLogic(logic, [many], { idleCloseAt: at('2026-06-01T00:00:00Z') });
    expect([...big.state.entries('d:')].length).toBeLessThanOrEqual(L / 60_000 + 2);
  });

  it('gives identical figures for shuffled arrival within the lateness and any flush boundaries', () => {
    const rand = mulberry32(11);
    const events: QaEvent[] = [];
    for (let i = 0; i < 400; i++) {
      const e = review(at('2026-03-01T22:00:00Z') + Math.floor(rand() * 4 * 3_600_000), Math.floor(rand() * 101), rand() < 0.8);
      events.push(e);
      if (rand() < 0.1) events.push({ ...e });
    }
    const inOrder = [...events].sort((a, b) => a.event_time - b.event_time);
    const shuffled = shuffleWithinLateness(events, 0.9 * L, rand);
    const base = runLogic(logic, [inOrder]);
    for (const r of [runLogic(logic, [shuffled]), runLogic(logic, shuffled.map((e) => [e])), runLogic(logic, randomBatches(shuffled, rand, 30))]) {
      expect(r.deadLetters).toEqual([]);
      expect(figures(r, { keepZeros: true })).toEqual(figures(base, { keepZeros: true }));
    }
    const unique = [...new Map(events.map((e) => [e.event_id, e])).values()];
    const days = ['2026-03-01T00:00:00Z', '2026-03-02T00:00:00Z'];
    const sum = (m: string) => days.map((d) => get(base, 'day', d, m) ?? ([0, 0] as [number, number])).reduce<[number, number]>((a, b) => [a[0] + b[0], a[1] + b[1]], [0, 0]);
    expect(sum('qa_avg_score')).toEqual([unique.reduce((s, e) => s + e.score, 0), unique.length]);
    expect(sum('qa_pass_rate')).toEqual([unique.filter((e) => e.passed).length, unique.length]);
  });
});
