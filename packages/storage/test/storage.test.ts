import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TOPICS } from '@cs/schemas';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_SUBDIR, RAW_TABLES, TABLES, migrationsDir, rawColumns, tablesIn, typeMismatch, writtenColumns } from '../src/index.ts';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'cs-storage-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('migrationsDir', () => {
  it("finds the repository's deploy/clickhouse/migrations from the sources and from a build output at any depth", () => {
    const expected = join(repo, MIGRATIONS_SUBDIR);
    expect(migrationsDir({ env: {} })).toBe(expected);
    expect(migrationsDir({ env: {}, from: join(repo, 'packages/storage/dist') })).toBe(expected);
    expect(migrationsDir({ env: {}, from: join(repo, 'node_modules/@cs/storage/dist/src') })).toBe(expected);
  });

  it('finds them in any layout that keeps deploy/ above the code (an image copying the repository to /app)', () => {
    const app = join(tmp, 'app');
    mkdirSync(join(app, MIGRATIONS_SUBDIR), { recursive: true });
    expect(migrationsDir({ env: {}, from: join(app, 'packages/storage/dist') })).toBe(join(app, MIGRATIONS_SUBDIR));
  });

  it('takes CS_MIGRATIONS_DIR first, and says what to set when it finds nothing', () => {
    const own = join(tmp, 'own-migrations');
    mkdirSync(own);
    expect(migrationsDir({ env: { CS_MIGRATIONS_DIR: own }, from: '/' })).toBe(own);
    expect(() => migrationsDir({ env: { CS_MIGRATIONS_DIR: join(tmp, 'missing') } })).toThrow(/CS_MIGRATIONS_DIR is not a directory/);
    const lonely = join(tmp, 'lonely');
    mkdirSync(lonely);
    expect(() => migrationsDir({ env: {}, from: lonely })).toThrow(/cannot find deploy\/clickhouse\/migrations .*set CS_MIGRATIONS_DIR/);
  });
});

describe('tables', () => {
  it('qualifies every table with the database', () => {
    const t = tablesIn('cs_x');
    expect(t.deadLetters).toBe('cs_x.dead_letters');
    expect(Object.keys(t)).toEqual(Object.keys(TABLES));
  });

  it('has one raw table per topic, and a row description of each written table', () => {
    expect(Object.keys(RAW_TABLES)).toEqual([...TOPICS]);
    expect(new Set(Object.values(RAW_TABLES)).size).toBe(TOPICS.length);
    const written = [...writtenColumns().keys()];
    for (const table of written) expect(Object.values(TABLES)).toContain(table);
    expect(written).toEqual(expect.arrayContaining(Object.values(RAW_TABLES)));
  });

  it("derives a raw table's columns from the topic's Avro schema", () => {
    expect(rawColumns('raw_sessions')).toEqual({
      event_id: 'string',
      event_time: 'epoch_ms',
      business_unit: 'string',
      product: 'string',
      type: 'string',
      session_id: 'string',
      user_id: 'string',
      channel: 'string',
      entry: 'string?',
      intent: 'string?',
      agent_id: 'string?',
      kafka_partition: 'int',
      kafka_offset: 'int',
    });
    expect(rawColumns('raw_calls').wait_ms).toBe('int?');
    expect(rawColumns('raw_qa').passed).toBe('bool');
  });
});

describe('typeMismatch', () => {
  it.each([
    ['string', 'String'],
    ['string', 'LowCardinality(String)'],
    ['string', "Enum8('intent' = 1, 'done' = 2)"],
    ['string?', 'LowCardinality(Nullable(String))'],
    ['string?', 'Nullable(String)'],
    ['int', 'UInt64'],
    ['int?', 'Nullable(Int64)'],
    ['float', 'Float64'],
    ['bool', 'Bool'],
    ['epoch_ms', "DateTime64(3, 'Asia/Shanghai')"],
    ['epoch_ms', 'DateTime64(3)'],
    ['epoch_ms?', "Nullable(DateTime64(3, 'UTC'))"],
    ['epoch_s', "DateTime('Europe/Berlin')"],
  ] as const)('%s fits %s', (kind, type) => expect(typeMismatch(kind, type)).toBeNull());

  it.each([
    ['string', 'Nullable(String)', /is Nullable, the row never holds null/],
    ['string?', 'String', /is not Nullable/],
    ['int', 'Float64', /does not hold int values/],
    ['float', 'Int32', /does not hold float values/],
    ['epoch_ms', "DateTime('UTC')", /does not hold epoch_ms values/],
    ['epoch_s', "DateTime64(3, 'UTC')", /does not hold epoch_s values/],
    ['epoch_ms', "DateTime64(6, 'UTC')", /does not hold epoch_ms values/],
    ['bool', 'UInt8', /does not hold bool values/],
    ['int', 'LowCardinality(UInt32)', /is LowCardinality, for int values/],
  ] as const)('%s does not fit %s', (kind, type, reason) => expect(typeMismatch(kind, type)).toMatch(reason));
});
