/**
 * CS_RAW_RETENTION: a TTL on every raw event table, applied with the migrations (prepareStorage), only
 * when it changes; rows older than the retention are removed by the engine, newer ones stay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@cs/runtime';
import { TOPICS } from '@cs/schemas';
import { applyRawRetention, loadRawRetention, prepareStorage, rawTtlExpression } from '@cs/storage';
import { openTestStore, query, type TestStore } from '../support/pipeline.ts';

const RAW_TABLES = TOPICS.map((t) => `raw_${t.slice('cs.'.length)}`).sort();
let store: TestStore;

async function ttls(): Promise<Record<string, string | null>> {
  const rows = await query<{ name: string; engine_full: string }>(store.client, `SELECT name, engine_full FROM system.tables WHERE database = '${store.db}' AND name LIKE 'raw\\\\_%' ORDER BY name`);
  return Object.fromEntries(rows.map((r) => [r.name, / TTL (.+?)(?: SETTINGS |$)/.exec(r.engine_full)?.[1] ?? null]));
}

beforeAll(async () => {
  store = await openTestStore('UTC');
});
afterAll(async () => {
  await store?.client.close();
});

describe('CS_RAW_RETENTION', () => {
  it('reads a duration of at least a day, forever, or nothing', () => {
    expect(loadRawRetention({})).toEqual({ kind: 'keep' });
    expect(loadRawRetention({ CS_RAW_RETENTION: '90d' })).toEqual({ kind: 'ttl', seconds: 90 * 86_400 });
    expect(loadRawRetention({ CS_RAW_RETENTION: 'Forever' })).toEqual({ kind: 'forever' });
    expect(() => loadRawRetention({ CS_RAW_RETENTION: '2h' })).toThrow(ConfigError);
    expect(() => loadRawRetention({ CS_RAW_RETENTION: 'a while' })).toThrow(/CS_RAW_RETENTION/);
  });

  it('sets the TTL on every raw table once, changes it, and removes it', async () => {
    expect(Object.keys(await ttls())).toEqual(RAW_TABLES);
    expect(Object.values(await ttls()).every((t) => t === null)).toBe(true);

    await prepareStorage(store.client, { database: store.db, timeZone: 'UTC', rawRetention: loadRawRetention({ CS_RAW_RETENTION: '400d' }) });
    expect(Object.values(await ttls())).toEqual(RAW_TABLES.map(() => rawTtlExpression(400 * 86_400)));
    // Unchanged: nothing is altered again (a TTL change rewrites parts).
    expect(await applyRawRetention(store.client, store.db, { kind: 'ttl', seconds: 400 * 86_400 })).toEqual([]);
    // A service without the variable leaves it as it is.
    await prepareStorage(store.client, { database: store.db, timeZone: 'UTC', rawRetention: loadRawRetention({}) });
    expect(Object.values(await ttls())).toEqual(RAW_TABLES.map(() => rawTtlExpression(400 * 86_400)));

    expect(await applyRawRetention(store.client, store.db, { kind: 'ttl', seconds: 30 * 86_400 })).toEqual(RAW_TABLES);
    expect(await applyRawRetention(store.client, store.db, { kind: 'forever' })).toEqual(RAW_TABLES);
    expect(Object.values(await ttls()).every((t) => t === null)).toBe(true);
  });

  it('removes rows older than the retention and keeps the rest', async () => {
    await applyRawRetention(store.client, store.db, { kind: 'ttl', seconds: 30 * 86_400 });
    const row = (id: string, daysAgo: number) => ({
      event_id: id,
      event_time: Date.now() - daysAgo * 86_400_000,
      business_unit: 'cards',
      product: 'credit-card',
      type: 'RESPONDED',
      survey_id: `s-${id}`,
      contact_id: 'c',
      user_id: 'u',
      channel: 'APP',
      handled_by: 'HUMAN',
      score: 5,
      valid: true,
      kafka_partition: 0,
      kafka_offset: 0,
    });
    await store.client.insert({ table: `${store.db}.raw_surveys`, values: [row('old', 45), row('recent', 3)], format: 'JSONEachRow', clickhouse_settings: { date_time_input_format: 'best_effort' } });
    await store.client.command({ query: `OPTIMIZE TABLE ${store.db}.raw_surveys FINAL` });
    expect(await query(store.client, `SELECT event_id FROM ${store.db}.raw_surveys ORDER BY event_id`)).toEqual([{ event_id: 'recent' }]);
  });
});
