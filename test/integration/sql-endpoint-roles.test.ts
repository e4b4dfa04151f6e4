/**
 * The embedded store's SQL endpoint with its users (CS_WRITER_PASSWORD, CS_ANALYST_PASSWORD,
 * CS_GRAFANA_PASSWORD), on the real engine:
 *
 * - the writer is a ClickHouse server to the pipeline's code: @clickhouse/client in server mode
 *   (CLICKHOUSE_URL at the endpoint) migrates, inserts with insert_deduplication_token (a retried
 *   insert lands once), compresses, binds query parameters and deletes;
 * - analyst and grafana read, and cannot write, create, or lift their limits; wrong or missing
 *   credentials are refused;
 * - nobody reaches the host (INTO OUTFILE, file(), File engine), the writer runs only the pipeline's
 *   kinds of statement;
 * - reader queries are capped: `SELECT sum(number) FROM numbers(2e10)` stops at max_execution_time
 *   with TIMEOUT_EXCEEDED, a query past max_memory_usage fails, max_threads is held.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertRows, loadClickHouseConfig, loadSqlAccess, openClickHouse, startSqlEndpoint, type ClickHouseClient, type SqlEndpoint } from '@cs/clickhouse';
import { prepareStorage } from '@cs/storage';
import { createLogger } from '@cs/runtime';

const quiet = { log: { level: ClickHouseLogLevel.OFF } };
const PASSWORDS = { writer: 'writer-pw-7f3a', analyst: 'analyst-pw-29cd', grafana: 'grafana-pw-b81e' };
const tmp = mkdtempSync(join(tmpdir(), 'cs-sql-roles-'));

let owner: ClickHouseClient;
let ep: SqlEndpoint;
/** The pipeline's own client, in server mode, logged in as the writer. */
let writer: ClickHouseClient;
const as = (user: keyof typeof PASSWORDS | 'default', password = user === 'default' ? '' : PASSWORDS[user]) => createClient({ url: ep.url, username: user, password, ...quiet });

async function post(sql: string, init: { user?: string; password?: string; params?: Record<string, string> } = {}): Promise<{ status: number; code: string | null; text: string }> {
  const headers: Record<string, string> = {};
  if (init.user !== undefined) headers.authorization = `Basic ${Buffer.from(`${init.user}:${init.password ?? ''}`).toString('base64')}`;
  const res = await fetch(`${ep.url}/?${new URLSearchParams(init.params ?? {})}`, { method: 'POST', body: sql, headers });
  return { status: res.status, code: res.headers.get('x-clickhouse-exception-code'), text: await res.text() };
}

beforeAll(async () => {
  owner = openClickHouse(loadClickHouseConfig({ CS_DATA_DIR: join(tmp, 'chdb'), CS_DATABASE: 'cs', CS_TIMEZONE: 'UTC' }));
  const access = loadSqlAccess({
    CS_WRITER_PASSWORD: PASSWORDS.writer,
    CS_ANALYST_PASSWORD: PASSWORDS.analyst,
    CS_GRAFANA_PASSWORD: PASSWORDS.grafana,
    CS_SQL_MAX_EXECUTION_TIME: '1s',
    CS_SQL_MAX_MEMORY_USAGE: '100000000',
  });
  ep = await startSqlEndpoint(owner, { port: 0, database: 'cs', access });
  writer = openClickHouse(loadClickHouseConfig({ CLICKHOUSE_URL: ep.url, CLICKHOUSE_USER: 'writer', CLICKHOUSE_PASSWORD: PASSWORDS.writer, CS_DATABASE: 'cs' }), { log: createLogger('test', 'silent') });
});

afterAll(async () => {
  await writer?.close();
  await ep?.close();
  await owner?.close();
});

describe('the writer (the pipeline through CLICKHOUSE_URL)', () => {
  it('applies the migrations and the catalog views through the endpoint', async () => {
    await prepareStorage(writer, { database: 'cs', timeZone: 'UTC' });
    const tables = await (await owner.query({ query: "SELECT name FROM system.tables WHERE database = 'cs' ORDER BY name", format: 'JSONEachRow' })).json<{ name: string }>();
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['metrics', 'contacts', 'raw_sessions', 'processor_log', 'schema_migrations', 'dead_letters']));
    // Idempotent, as against a server.
    await prepareStorage(writer, { database: 'cs', timeZone: 'UTC' });
  });

  it('inserts once per insert_deduplication_token, compressed or not, with data the SQL parser would choke on', async () => {
    await writer.command({ query: 'CREATE TABLE IF NOT EXISTS cs.notes (id UInt32, text String) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100' });
    const rows = [
      { id: 1, text: "a; DROP TABLE cs.notes; -- it's" },
      { id: 2, text: 'FORMAT TSV\n' },
    ];
    await insertRows(writer, 'cs.notes', rows, { dedupToken: 'notes/1' });
    await insertRows(writer, 'cs.notes', rows, { dedupToken: 'notes/1' }); // a retry: dropped
    const gzip = openClickHouse(loadClickHouseConfig({ CLICKHOUSE_URL: ep.url, CLICKHOUSE_USER: 'writer', CLICKHOUSE_PASSWORD: PASSWORDS.writer }), { log: createLogger('test', 'silent') });
    try {
      const compressed = createClient({ url: ep.url, username: 'writer', password: PASSWORDS.writer, compression: { request: true, response: true }, ...quiet });
      await compressed.insert({ table: 'cs.notes', values: [{ id: 3, text: 'gzip' }], format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: 'notes/2', insert_deduplicate: 1 } });
      await compressed.close();
    } finally {
      await gzip.close();
    }
    await insertRows(writer, 'cs.notes', [], { dedupToken: 'notes/empty' }); // nothing to send
    await writer.insert({ table: 'cs.notes', values: [], format: 'JSONEachRow' });
    const rs = await writer.query({ query: 'SELECT id, text FROM cs.notes WHERE id >= {from:UInt32} ORDER BY id', query_params: { from: 1 }, format: 'JSONEachRow' });
    expect(await rs.json()).toEqual([...rows, { id: 3, text: 'gzip' }]);
    await writer.command({ query: 'DELETE FROM cs.notes WHERE id = {id:UInt32}', query_params: { id: 3 } });
    expect(await (await owner.query({ query: 'SELECT toString(count()) AS n FROM cs.notes', format: 'JSONEachRow' })).json()).toEqual([{ n: '2' }]);
  });

  it('runs only the statements the pipeline needs, and never reaches the host', async () => {
    const refused = [
      'SYSTEM DROP DNS CACHE',
      'DROP DATABASE cs',
      "SELECT * FROM file('/etc/hostname', 'LineAsString')",
      "INSERT INTO FUNCTION file('x.tsv', 'TSV') SELECT 1",
      "CREATE TABLE cs.leak (l String) ENGINE = File(LineAsString, '/etc/hostname')",
      `SELECT 1 INTO OUTFILE '${join(tmp, 'out.tsv')}'`,
    ];
    for (const query of refused) await expect(writer.exec({ query }), query).rejects.toMatchObject({ code: '497', type: 'ACCESS_DENIED' });
    expect(existsSync(join(tmp, 'out.tsv'))).toBe(false);
  });

  it('is refused with a wrong password', async () => {
    const intruder = as('writer', 'not-the-password');
    try {
      await expect(intruder.command({ query: 'CREATE TABLE cs.x (a UInt8) ENGINE = Memory' })).rejects.toMatchObject({ code: '516', type: 'AUTHENTICATION_FAILED' });
    } finally {
      await intruder.close();
    }
    const res = await post('SELECT 1', { user: 'writer', password: 'nope' });
    expect([res.status, res.code]).toEqual([403, '516']);
    expect(res.text).not.toContain('nope');
  });
});

describe('analyst and grafana (read-only)', () => {
  it('read with their passwords, by basic auth, X-ClickHouse headers or parameters', async () => {
    for (const user of ['analyst', 'grafana'] as const) {
      const client = as(user);
      try {
        const rs = await client.query({ query: 'SELECT toString(count()) AS n FROM cs.notes', format: 'JSONEachRow' });
        expect(await rs.json(), user).toEqual([{ n: '2' }]);
      } finally {
        await client.close();
      }
    }
    const byHeaders = await fetch(ep.url, { method: 'POST', body: 'SELECT 1', headers: { 'x-clickhouse-user': 'grafana', 'x-clickhouse-key': PASSWORDS.grafana } });
    expect([byHeaders.status, await byHeaders.text()]).toEqual([200, '1\n']);
    expect((await post('SELECT 2', { params: { user: 'analyst', password: PASSWORDS.analyst } })).text).toBe('2\n');
  });

  it('cannot write, create, drop or change settings', async () => {
    for (const user of ['analyst', 'grafana'] as const) {
      const client = as(user);
      try {
        await expect(client.insert({ table: 'cs.notes', values: [{ id: 9, text: 'x' }], format: 'JSONEachRow' }), user).rejects.toMatchObject({ code: '164', type: 'READONLY' });
        await expect(client.command({ query: 'CREATE TABLE cs.y (a UInt8) ENGINE = Memory' }), user).rejects.toMatchObject({ code: '164' });
        await expect(client.command({ query: 'DROP TABLE cs.notes' }), user).rejects.toMatchObject({ code: '164' });
        await expect(client.exec({ query: 'SELECT 1 SETTINGS max_execution_time = 1000' }), user).rejects.toMatchObject({ code: '164' });
        await expect(client.exec({ query: `SELECT 1 INTO OUTFILE '${join(tmp, 'reader.tsv')}'` }), user).rejects.toMatchObject({ code: '497' });
      } finally {
        await client.close();
      }
    }
    expect(existsSync(join(tmp, 'reader.tsv'))).toBe(false);
    expect(await (await owner.query({ query: 'SELECT toString(count()) AS n FROM cs.notes', format: 'JSONEachRow' })).json()).toEqual([{ n: '2' }]);
  });

  it('need their password once the analyst has one: no anonymous access, no access with a wrong one', async () => {
    for (const init of [{}, { user: 'default' }, { user: 'analyst' }, { user: 'analyst', password: PASSWORDS.grafana }, { user: 'grafana', password: PASSWORDS.analyst }]) {
      const res = await post('SELECT 1', init);
      expect([res.status, res.code], JSON.stringify(init)).toEqual([403, '516']);
    }
  });
});

describe('reader limits', () => {
  const analyst = { user: 'analyst', password: PASSWORDS.analyst };

  it('stops SELECT sum(number) FROM numbers(2e10) at max_execution_time, quickly', async () => {
    const started = performance.now();
    const res = await post('SELECT sum(number) FROM numbers(2e10)', analyst);
    const seconds = (performance.now() - started) / 1000;
    expect([res.status, res.code], res.text).toEqual([408, '159']);
    expect(res.text).toMatch(/Timeout exceeded: elapsed [\d.]+ ms, maximum: 1000 ms.*\(TIMEOUT_EXCEEDED\)/);
    expect(seconds).toBeLessThan(5);
  });

  it('refuses to raise or lift a limit, allows lowering it', async () => {
    const attempts: [string, string][] = [['max_execution_time', '3600'], ['max_execution_time', '0'], ['max_memory_usage', '0'], ['max_threads', '64'], ['max_result_bytes', '0']];
    for (const [name, value] of attempts) {
      const res = await post('SELECT 1', { ...analyst, params: { [name]: value } });
      expect([res.status, res.code], `${name}=${value}`).toEqual([400, '452']);
      expect(res.text).toContain(`Setting ${name} shouldn't be greater than`);
    }
    const lowered = await post("SELECT getSetting('max_execution_time'), getSetting('max_threads')", { ...analyst, params: { max_execution_time: '0.5' } });
    expect(lowered.text).toBe('0.5\t1\n');
  });

  it('fails a query past max_memory_usage', async () => {
    const res = await post('SELECT groupArray(number) FROM numbers(50000000)', analyst);
    expect(res.code, res.text).toBe('241');
    expect(res.text).toMatch(/MEMORY_LIMIT_EXCEEDED/);
  });
});
