// @cs/storage against the real engine (chdb): the migrations and catalog views applied by
// prepareStorage, and every typed row checked against system.columns.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, openClickHouse, readMigrations, type ClickHouseClient } from '@cs/clickhouse';
import { describeDrift, insertInto, migrationsDir, prepareStorage, tablesIn, TABLES, type RowByTable } from '@cs/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from '../support/pipeline.ts';

const timeZone = 'Asia/Shanghai';
let dataDir: string;
let client: ClickHouseClient;

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'cs-storage-'));
  client = openClickHouse({ mode: 'embedded', url: undefined, user: 'default', password: '', database: 'cs', dataDir, timeZone });
});
afterAll(async () => {
  await client?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const T = Date.UTC(2026, 10, 27, 1, 2, 3, 456);

/** One row of each written table, as the pipeline writes it. */
const SAMPLES: { [K in keyof RowByTable]: RowByTable[K] } = {
  raw_sessions: { event_id: 'e1', event_time: T, business_unit: 'cards', product: 'p', type: 'STARTED', session_id: 's1', user_id: 'u1', channel: 'APP', entry: 'SELF_SERVICE', intent: null, agent_id: null, kafka_partition: 1, kafka_offset: 7 },
  raw_calls: { event_id: 'e2', event_time: T, business_unit: 'cards', product: 'p', type: 'ENDED', call_id: 'c1', session_id: null, user_id: 'u1', queue: 'q', agent_id: 'a1', site_type: 'IN_HOUSE', wait_ms: 1, talk_ms: 2, hold_ms: null, acw_ms: 3, kafka_partition: 0, kafka_offset: 0 },
  raw_surveys: { event_id: 'e3', event_time: T, business_unit: 'cards', product: 'p', type: 'RESPONDED', survey_id: 'v1', contact_id: 's1', user_id: 'u1', channel: 'APP', handled_by: 'HUMAN', score: 5, valid: true, kafka_partition: 0, kafka_offset: 0 },
  raw_complaints: { event_id: 'e4', event_time: T, business_unit: 'cards', product: 'p', type: 'FILED', complaint_id: 'k1', user_id: 'u1', contact_id: null, channel: 'APP', category: 'fees', external: false, kafka_partition: 0, kafka_offset: 0 },
  raw_outreach: { event_id: 'e5', event_time: T, business_unit: 'cards', product: 'p', type: 'CONTACTED', outreach_id: 'o1', user_id: 'u1', campaign: 'c', channel: 'SMS', kafka_partition: 0, kafka_offset: 0 },
  raw_agents: { event_id: 'e6', event_time: T, business_unit: 'cards', product: 'p', type: 'LOGGED_IN', agent_id: 'a1', site_type: 'OUTSOURCED', kafka_partition: 0, kafka_offset: 0 },
  raw_qa: { event_id: 'e7', event_time: T, business_unit: 'cards', product: 'p', type: 'REVIEWED', review_id: 'r1', contact_id: 's1', agent_id: 'a1', channel: 'APP', score: 90, passed: true, kafka_partition: 0, kafka_offset: 0 },
  contacts_local: {
    session_id: 's1', user_id: 'u1', business_unit: 'cards', product: 'p', channel: 'APP', entry: 'SELF_SERVICE', intent: null, start_time: T, end_time: T + 60_000, ended_by: 'ENDED',
    duration_seconds: 60, self_service_entry: true, transferred: false, self_service: true, online: true, bot_turns: 2, questions_recognized: 1, questions_confirmed: 1,
    prediction_shown: false, prediction_clicked: false, fcr_state: 'pending', final: false, version: 1,
  },
  metric_sums: { grain: 'day', bucket: Math.floor(T / 86_400_000) * 86_400 - 8 * 3600, metric: 'contacts', business_unit: 'cards', product: 'p', channel: 'APP', numerator: 1, denominator: 0, flush: 'cs-processor/cs.sessions/0/1/metric_sums' },
  dead_letters: { topic: 'cs.sessions', partition: 0, offset: 3, reason: 'decode', detail: 'bad', key: null, payload_base64: Buffer.from('oops').toString('base64'), event_id: null, event_time: null, dead_lettered_at: T },
  dead_letter_replays: { topic: 'cs.calls', partition: 0, offset: 3, replay_id: 'r1', replayed_at: T },
  outreach_outcomes: { outreach_id: 'o1', user_id: 'u1', business_unit: 'cards', product: 'p', channel: 'SMS', campaign: 'c', contacted_at: T, outcome: 'RETAINED', outcome_at: T + 1, retained: true, final: false, version: T * 1000 + 1 },
  processor_log: { processor: 'cs-processor', topic: 'cs.sessions', partition: 0, seq: 1, from_offset: 0, to_offset: 10, kind: 'done', wall_time: T, idle: true, advance_to: T + 5, state_delta: '' },
  processor_snapshots: { processor: 'cs-processor', topic: 'cs.sessions', partition: 0, seq: 1, chunk: 0, chunks: 1, base: 1, data: '' },
  watermarks: { processor: 'cs-processor', prefix: '', topic: 'cs.sessions', logical_topic: 'cs.sessions', partition: 0, partitions: 4, metric: 'contacts', settled_before: T - 3_600_000, stream_time: T, seq: 1, flushed_at: T },
  contact_fcr: { session_id: 's1', start_time: T, fcr_state: 'not_resolved', version: T * 1000 + 1 },
  forecast_events: { name: 'Double 11', kind: 'festival', starts: '2026-11-11', ends: '2026-11-11', business_unit: 'payments', channel: '', uplift: 1.8, note: '' },
  forecasts: { issued_at: T, run: 'nightly', kind: 'contacts', business_unit: 'cards', segment: 'APP', role: 'primary', model: 'mstl_ets', origin: Math.floor(T / 1_800_000) * 1800, interval: Math.floor(T / 1_800_000) * 1800 + 1800, horizon_minutes: 30, point: 12.5, lower: 8, upper: 17, level: 0.95, note: '' },
  forecast_runs: { issued_at: T, run: 'nightly', kind: 'contacts', business_unit: 'cards', segment: 'APP', origin: Math.floor(T / 1_800_000) * 1800, horizon_intervals: 672, model: 'mstl_ets', status: 'ok', reason: '', history_days: 84, fit_ms: 120.5 },
  forecast_accuracy: { bucket: Math.floor(T / 86_400_000) * 86_400 - 8 * 3600, metric: 'forecast_accuracy_daily', business_unit: 'cards', product: 'h1d', channel: 'APP', numerator: 97, denominator: 100, model: 'mstl_ets', issued_at: T, scored_at: T },
  staffing: { issued_at: T, business_unit: 'cards', interval: Math.floor(T / 1_800_000) * 1800, calls: 100, aht_seconds: 180, patience_seconds: null, method: 'erlang_c', target_service_level: 0.8, target_answer_seconds: 20, agents_required: 14, service_level: 0.888, abandon_rate: null, occupancy: 0.714 },
};

describe('prepareStorage', () => {
  it('applies every migration and creates the catalog view; a second run applies nothing', async () => {
    const first = await prepareStorage(client, { database: 'cs', timeZone });
    expect(first.applied.map((m) => m.version)).toEqual(readMigrations(migrationsDir()).map((m) => m.version));
    expect(first.applied.length).toBeGreaterThan(0);
    const second = await prepareStorage(client, { database: 'cs', timeZone });
    expect(second).toEqual({ applied: [], alreadyApplied: first.applied.length });
    const names = (await query<{ name: string }>(client, `SELECT name FROM system.tables WHERE database = 'cs' ORDER BY name`)).map((r) => r.name);
    expect(names).toEqual(Object.values(TABLES).sort());
  });

  it('every typed row matches system.columns: names, nullability and types', async () => {
    expect(await describeDrift(client, 'cs')).toEqual([]);
  });

  it('a typed row of each table goes in and its instants come back as written (ms for DateTime64(3), s for DateTime)', async () => {
    for (const [table, row] of Object.entries(SAMPLES) as [keyof RowByTable, RowByTable[keyof RowByTable]][]) {
      await insertInto(client, 'cs', table, [row] as never[]);
      expect(Number((await query<{ n: string }>(client, `SELECT count() AS n FROM cs.${table}`))[0]!.n), table).toBe(1);
    }
    const t = tablesIn('cs');
    const [times] = await query<Record<string, string | number>>(
      client,
      `SELECT (SELECT toUnixTimestamp64Milli(event_time) FROM ${t.rawSessions}) AS raw,
              (SELECT toUnixTimestamp64Milli(end_time) FROM ${t.contactsLocal}) AS contact_end,
              (SELECT toUnixTimestamp(bucket) FROM ${t.metricSums}) AS day_bucket,
              (SELECT toUnixTimestamp64Milli(dead_lettered_at) FROM ${t.deadLetters}) AS dead,
              (SELECT payload FROM ${t.deadLetters}) AS payload,
              (SELECT toUnixTimestamp64Milli(outcome_at) FROM ${t.outreachOutcomes}) AS outcome`,
    );
    // Int64/UInt64 results may come back as strings: compare as numbers.
    const got = Object.fromEntries(Object.entries(times!).map(([k, v]) => [k, k === 'payload' ? v : Number(v)]));
    expect(got).toEqual({ raw: T, contact_end: T + 60_000, day_bucket: Math.floor(T / 86_400_000) * 86_400 - 8 * 3600, dead: T, payload: 'oops', outcome: T + 1 });
    // Through the views analysts read.
    const [view] = await query<{ contacts: number | string; day: string; accuracy: number }>(
      client,
      `SELECT (SELECT count() FROM ${t.contacts}) AS contacts, (SELECT toString(bucket) FROM ${t.metrics} WHERE grain = 'day' AND metric = 'contacts') AS day,
              (SELECT value FROM ${t.metrics} WHERE grain = 'day' AND metric = 'forecast_accuracy_daily') AS accuracy`,
    );
    expect({ ...view, contacts: Number(view?.contacts) }).toEqual({ contacts: 1, day: '2026-11-27 00:00:00', accuracy: 0.97 });
  });

  it('migration 0010 moves the per-grain sums of an existing database into metric_sums, and its ledger view records new flushes', async () => {
    const db = 'cs_upgrade';
    const before = mkdtempSync(join(tmpdir(), 'cs-migrations-'));
    for (const m of readMigrations(migrationsDir()).filter((m) => m.version !== 10)) copyFileSync(join(migrationsDir(), m.file), join(before, m.file));
    await migrate(client, { database: db, timeZone, dir: before });
    rmSync(before, { recursive: true, force: true });
    const hour = Math.floor(T / 3_600_000) * 3600;
    const row = (table: string, bucket: number, numerator: number) =>
      client.command({ query: `INSERT INTO ${db}.${table} (bucket, metric, business_unit, product, channel, numerator, denominator, flush) VALUES (${bucket}, 'contacts', 'cards', 'p', 'APP', ${numerator}, 0, 'old/${table}')` });
    await row('metric_sums_minute', hour + 120, 2);
    await row('metric_sums_minute', hour + 180, 3);
    await row('metric_sums_hour', hour, 5);
    await row('metric_sums_day', Math.floor(T / 86_400_000) * 86_400 - 8 * 3600, 5);

    const upgrade = await prepareStorage(client, { database: db, timeZone });
    expect(upgrade.applied.map((m) => m.version)).toEqual([10]);
    const figures = async () =>
      (await query<{ grain: string; n: number; value: number }>(client, `SELECT grain, count() AS n, sum(value) AS value FROM ${db}.metrics WHERE metric = 'contacts' GROUP BY grain ORDER BY grain`)).map((f) => ({ ...f, n: Number(f.n) }));
    const copied = [
      { grain: 'day', n: 1, value: 5 },
      { grain: 'hour', n: 1, value: 5 },
      { grain: 'minute', n: 2, value: 5 },
    ];
    expect(await figures()).toEqual(copied);
    // Re-runnable: applied again from its first statement, as after a stop between its copy and its
    // drops (the old hour table still holding what was copied), it copies nothing twice.
    await client.command({ query: `CREATE TABLE ${db}.metric_sums_hour (bucket DateTime, metric String, business_unit String, product String, channel String, numerator Float64, denominator Float64, flush String) ENGINE = MergeTree ORDER BY tuple()` });
    await row('metric_sums_hour', hour, 5);
    await client.command({ query: `DELETE FROM ${db}.schema_migrations WHERE version = 10` });
    expect((await prepareStorage(client, { database: db, timeZone })).applied.map((m) => m.version)).toEqual([10]);
    expect(await figures()).toEqual(copied);
    const tables = (await query<{ name: string }>(client, `SELECT name FROM system.tables WHERE database = '${db}' AND name LIKE '%sums%' ORDER BY name`)).map((r) => r.name);
    expect(tables).toEqual([TABLES.flushLedgerSums, TABLES.metricSums]);
    await insertInto(client, db, 'metric_sums', [{ ...SAMPLES.metric_sums, flush: 'new/1/metric_sums' }]);
    const ledger = (await query<{ token: string }>(client, `SELECT DISTINCT token FROM ${db}.flush_ledger ORDER BY token`)).map((r) => r.token);
    expect(ledger).toEqual(['new/1/metric_sums', 'old/metric_sums_day', 'old/metric_sums_hour', 'old/metric_sums_minute']);
  });

  it('a drift between the rows and the database is reported, table and column named', async () => {
    const db = 'cs_drift';
    await prepareStorage(client, { database: db, timeZone });
    await client.command({ query: `ALTER TABLE ${db}.dead_letters MODIFY COLUMN detail Nullable(String)` });
    await client.command({ query: `ALTER TABLE ${db}.outreach_outcomes ADD COLUMN score Float64` });
    await client.command({ query: `ALTER TABLE ${db}.outreach_outcomes ADD COLUMN note String DEFAULT ''` });
    await client.command({ query: `ALTER TABLE ${db}.processor_snapshots RENAME COLUMN chunks TO chunk_count` });
    await client.command({ query: `ALTER TABLE ${db}.processor_log MODIFY COLUMN wall_time Float64` });
    await client.command({ query: `CREATE TABLE ${db}.stray (x UInt8) ENGINE = Memory` });
    expect((await describeDrift(client, db)).sort()).toEqual(
      [
        `${db}.dead_letters.detail (string): Nullable(String) is Nullable, the row never holds null`,
        `${db}.outreach_outcomes.score (Float64): not in the typed row, and it has no default`,
        `${db}.processor_snapshots.chunks (int): no such column`,
        `${db}.processor_snapshots.chunk_count (UInt32): not in the typed row, and it has no default`,
        `${db}.processor_log.wall_time (int): Float64 does not hold int values`,
        `${db}.stray: in the database but not in TABLES`,
      ].sort(),
    );
  });
});
