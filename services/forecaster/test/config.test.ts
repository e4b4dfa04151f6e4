import { describe, expect, it } from 'vitest';
import { loadForecasterConfig } from '../src/config.ts';
import { parseEvents } from '../src/events-input.ts';

describe('forecaster configuration', () => {
  it('has defaults for everything', () => {
    const c = loadForecasterConfig({});
    expect(c).toMatchObject({ timeZone: 'UTC', horizonDays: 14, historyDays: 84, delayMs: 120_000, httpPort: 9403 });
    expect(c.forecast).toEqual({ model: 'mstl_ets', minHistoryDays: 21, level: 0.95, transform: 'none' });
    expect(c.staffing).toEqual({ serviceLevel: 0.8, answerSeconds: 20, lookbackDays: 28, minAbandons: 30 });
  });

  it('refuses bad values, naming the variable', () => {
    expect(() => loadForecasterConfig({ CS_FORECAST_MODEL: 'crystal_ball' })).toThrow(/CS_FORECAST_MODEL must be one of mstl_ets, seasonal_naive/);
    expect(() => loadForecasterConfig({ CS_FORECAST_INTERVAL_LEVEL: '95' })).toThrow(/CS_FORECAST_INTERVAL_LEVEL must be in \(0, 1\)/);
    expect(() => loadForecasterConfig({ CS_FORECAST_MIN_HISTORY_DAYS: '7' })).toThrow(/CS_FORECAST_MIN_HISTORY_DAYS must be in \[14/);
    expect(() => loadForecasterConfig({ CS_FORECAST_HORIZON_DAYS: '3' })).toThrow(/CS_FORECAST_HORIZON_DAYS must be ≥ 7/);
    expect(() => loadForecasterConfig({ CS_FORECAST_TARGET_SERVICE_LEVEL: 'most' })).toThrow(/CS_FORECAST_TARGET_SERVICE_LEVEL must be a number/);
    expect(loadForecasterConfig({ CS_FORECAST_TARGET_ANSWER_TIME: '30s' }).staffing.answerSeconds).toBe(30);
  });
});

describe('calendar events posted over HTTP', () => {
  it('takes one event or a list, with defaults for ends, kind, unit and channel', () => {
    expect(parseEvents('{"name":"Double 11","starts":"2026-11-11","uplift":1.8}')).toEqual({
      ok: true,
      events: [{ name: 'Double 11', kind: 'other', starts: '2026-11-11', ends: '2026-11-11', businessUnit: '', channel: '', uplift: 1.8 }],
    });
  });

  it('says what is wrong', () => {
    const error = (body: string) => (parseEvents(body) as { error: string }).error;
    expect(error('nope')).toMatch(/not JSON/);
    expect(error('[{"starts":"2026-11-11"}]')).toMatch(/event 0: "name" is required/);
    expect(error('[{"name":"x","starts":"2026-11-12","ends":"2026-11-11"}]')).toMatch(/"ends" \(2026-11-11\) is before "starts"/);
    expect(error('[{"name":"x","starts":"2026-11-11","uplift":-1}]')).toMatch(/"uplift" must be a positive number/);
    expect(error('[{"name":"x","starts":"2026-11-11","kind":"party"}]')).toMatch(/"kind" must be one of/);
  });
});
