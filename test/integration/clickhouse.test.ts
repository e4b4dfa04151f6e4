// @cs/clickhouse against the real embedded engine (chdb) in a temp directory.
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { createLogger, registry } from '@cs/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BatchWriter,
  InsertError,
  MigrationError,
  formatClause,
  insertRows,
  isMultiStatement,
  loadClickHouseConfig,
  migrate,
  openClickHouse,
  readEndpointFile,
  removeEndpointFile,
  repoRoot,
  splitStatements,
  startSqlEndpoint,
  writeEndpointFile,
  type ClickHouseClient,
  type ClickHouseConfig,
  type SqlEndpoint,
} from '../../packages/clickhouse/src/index.ts';

const run = promisify(execFile);
const quiet = { log: { level: ClickHouseLogLevel.OFF } };
const ROOT = repoRoot();
const DB = 'cs_test';

let tmp: string;
let cfg: ClickHouseConfig;
let client: ClickHouseClient;

async function rows<T = Record<string, unknown>>(sql: string): Promise<T[]> {
  return (await client.query({ query: sql, format: 'JSONEachRow' })).json<T>();
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'cs-clickhouse-test-'));
  cfg = loadClickHouseConfig({ CS_DATA_DIR: join(tmp, 'chdb'), CS_DATABASE: DB, CS_TIMEZONE: 'Asia/Shanghai' });
  client = openClickHouse(cfg);
});

afterAll(async () => {
  await client?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('config', () => {
  it('defaults to the embedded store under <repo>/.stack/chdb', () => {
    const c = loadClickHouseConfig({});
    expect(c).toEqual({
      mode: 'embedded',
      url: undefined,
      user: 'default',
      password: '',
      database: 'cs',
      dataDir: join(ROOT, '.stack', 'chdb'),
      timeZone: 'UTC',
    });
  });

  it('uses the server when CLICKHOUSE_URL is set, and validates', () => {
    const c = loadClickHouseConfig({ CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_USER: 'u', CLICKHOUSE_PASSWORD: 'p', CS_DATABASE: 'x1' });
    expect(c).toMatchObject({ mode: 'server', url: 'http://ch:8123', user: 'u', password: 'p', database: 'x1' });
    expect(() => loadClickHouseConfig({ CLICKHOUSE_URL: 'ch:8123' })).toThrow(/CLICKHOUSE_URL/);
    expect(() => loadClickHouseConfig({ CS_DATABASE: 'a-b' })).toThrow(/CS_DATABASE/);
    expect(() => loadClickHouseConfig({ CS_TIMEZONE: 'Mars/Base' })).toThrow(/CS_TIMEZONE/);
  });
});

describe('migrations', () => {
  let dir: string;
  const write = (file: string, text: string) => writeFileSync(join(dir, file), text);

  beforeAll(() => {
    dir = join(tmp, 'migrations');
    mkdirSync(dir);
    write(
      '0001_base.sql',
      `-- the base tables
CREATE TABLE IF NOT EXISTS {{db}}.events (
  id String,
  at DateTime('{{tz}}')
) ENGINE = MergeTree ORDER BY id;

CREATE TABLE IF NOT EXISTS {{db}}.notes (n UInt8) ENGINE = MergeTree ORDER BY n;
`,
    );
    write('0002_view.sql', 'CREATE VIEW IF NOT EXISTS {{db}}.event_count AS SELECT count() AS c FROM {{db}}.events;\n');
  });

  it('splits statements on lines ending with ;', () => {
    expect(splitStatements("SELECT 1;\n-- only a comment;\nSELECT ';'\n  , 2 ;\n\n-- trailing\n")).toEqual(["SELECT 1", "-- only a comment;\nSELECT ';'\n  , 2"]);
  });

  it('creates the database and applies every file once, in order', async () => {
    const result = await migrate(client, { database: DB, timeZone: cfg.timeZone, dir });
    expect(result).toEqual({ applied: [{ version: 1, name: 'base' }, { version: 2, name: 'view' }], alreadyApplied: 0 });
    const [col] = await rows<{ type: string }>(`SELECT type FROM system.columns WHERE database = '${DB}' AND table = 'events' AND name = 'at'`);
    expect(col?.type).toBe("DateTime('Asia/Shanghai')");
    const recorded = await rows<{ version: number; name: string; checksum: string }>(`SELECT version, name, checksum FROM ${DB}.schema_migrations ORDER BY version`);
    expect(recorded.map((r) => [r.version, r.name, r.checksum.length])).toEqual([[1, 'base', 64], [2, 'view', 64]]);
  });

  it('is idempotent: a second run applies nothing', async () => {
    expect(await migrate(client, { database: DB, timeZone: cfg.timeZone, dir })).toEqual({ applied: [], alreadyApplied: 2 });
    expect(await rows(`SELECT * FROM ${DB}.schema_migrations`)).toHaveLength(2);
  });

  it('applies only new files', async () => {
    write('0003_more.sql', 'ALTER TABLE {{db}}.notes ADD COLUMN IF NOT EXISTS label String;\n');
    expect((await migrate(client, { database: DB, timeZone: cfg.timeZone, dir })).applied).toEqual([{ version: 3, name: 'more' }]);
  });

  it('refuses to run when an applied file changed', async () => {
    write('0002_view.sql', 'CREATE VIEW IF NOT EXISTS {{db}}.event_count AS SELECT count() + 1 AS c FROM {{db}}.events;\n');
    write('0004_never.sql', 'CREATE TABLE {{db}}.never (x UInt8) ENGINE = Memory;\n');
    await expect(migrate(client, { database: DB, timeZone: cfg.timeZone, dir })).rejects.toThrow(/0002_view\.sql changed after it was applied/);
    expect(await rows(`SELECT name FROM system.tables WHERE database = '${DB}' AND name = 'never'`)).toEqual([]);
  });

  it('rejects unknown placeholders and bad file names', async () => {
    const other = join(tmp, 'migrations-bad');
    mkdirSync(other);
    writeFileSync(join(other, '0001_x.sql'), 'CREATE TABLE {{database}}.t (x UInt8) ENGINE = Memory;\n');
    await expect(migrate(client, { database: 'cs_bad', timeZone: 'UTC', dir: other })).rejects.toThrow(/unknown placeholder \{\{database\}\}/);
    writeFileSync(join(other, 'init.sql'), 'SELECT 1;\n');
    await expect(migrate(client, { database: 'cs_bad', timeZone: 'UTC', dir: other })).rejects.toBeInstanceOf(MigrationError);
  });
});

describe('insertRows', () => {
  const table = `${DB}.facts`;
  const count = async (where = '1') => Number((await rows<{ c: string }>(`SELECT count() AS c FROM ${table} WHERE ${where}`))[0]!.c);
  const metric = async (name: string) => {
    const m = (await registry.getSingleMetric(name)!.get()).values.find((v) => v.labels.table === table);
    return m?.value ?? 0;
  };

  beforeAll(async () => {
    await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${DB}` });
    await client.command({
      query: `CREATE TABLE ${table} (id UInt32, batch String) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 1000`,
    });
  });

  it('writes rows once per dedup token', async () => {
    const batch = [{ id: 1, batch: 'a' }, { id: 2, batch: 'a' }];
    await insertRows(client, table, batch, { dedupToken: 'p0/0-1' });
    await insertRows(client, table, batch, { dedupToken: 'p0/0-1' });
    expect(await count("batch = 'a'")).toBe(2);
    await insertRows(client, table, batch, { dedupToken: 'p0/2-3' });
    expect(await count("batch = 'a'")).toBe(4);
  });

  it('does not leak the token into later inserts or queries (embedded settings isolation)', async () => {
    await insertRows(client, table, [{ id: 10, batch: 'b' }], { dedupToken: 'tok-b' });
    await client.insert({ table, values: [{ id: 11, batch: 'b2' }], format: 'JSONEachRow' });
    expect(await count("batch = 'b2'")).toBe(1);
    expect(await rows(`SELECT getSetting('insert_deduplication_token') AS t`)).toEqual([{ t: '' }]);
  });

  it('counts rows and errors in Prometheus metrics', async () => {
    const before = await metric('cs_clickhouse_inserted_rows_total');
    await insertRows(client, table, [{ id: 20, batch: 'm' }, { id: 21, batch: 'm' }, { id: 22, batch: 'm' }]);
    expect((await metric('cs_clickhouse_inserted_rows_total')) - before).toBe(3);
  });

  it('throws non-transient errors at once, naming the table', async () => {
    const err = await insertRows(client, `${DB}.missing`, [{ id: 1 }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsertError);
    expect((err as InsertError).message).toMatch(new RegExp(`^insert into ${DB}\\.missing failed after 1 attempt: `));
    expect((err as InsertError).code).toBe('60');
  });

  it('retries transient errors with the same token, so an ambiguous failure does not duplicate', async () => {
    const tokens: unknown[] = [];
    let calls = 0;
    const flaky = {
      // insertRows sends an INSERT … SETTINGS insert_deduplication_token = '…' FORMAT … with the rows.
      exec: async (params: Parameters<ClickHouseClient['exec']>[0]) => {
        calls++;
        tokens.push(/insert_deduplication_token = '([^']*)'/.exec(params.query)?.[1]);
        if (calls === 1) throw Object.assign(new Error('Code: 252. DB::Exception: Too many parts'), { code: '252', type: 'TOO_MANY_PARTS' });
        const res = await client.exec(params);
        // the write landed but the acknowledgement was lost
        if (calls === 2) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        return res;
      },
    } as unknown as ClickHouseClient;
    await insertRows(flaky, table, [{ id: 30, batch: 'r' }, { id: 31, batch: 'r' }], { dedupToken: 'retry-1', baseDelayMs: 1 });
    expect(calls).toBe(3);
    expect(tokens).toEqual(['retry-1', 'retry-1', 'retry-1']);
    expect(await count("batch = 'r'")).toBe(2);
  });

  it('gives up after maxAttempts', async () => {
    const down = {
      exec: async () => {
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' });
      },
    } as unknown as ClickHouseClient;
    await expect(insertRows(down, table, [{ id: 1 }], { maxAttempts: 3, baseDelayMs: 1 })).rejects.toThrow(/failed after 3 attempts: connect ECONNREFUSED/);
  });

  it('BatchWriter flushes by size and on close', async () => {
    const writer = new BatchWriter<{ id: number; batch: string }>(client, table, { maxRows: 3, maxDelayMs: 60_000, tokenFor: (b) => `bw/${b[0]!.id}` });
    await writer.add({ id: 40, batch: 'w' }, { id: 41, batch: 'w' });
    expect(await count("batch = 'w'")).toBe(0);
    await writer.add({ id: 42, batch: 'w' });
    expect(await count("batch = 'w'")).toBe(3);
    await writer.add({ id: 43, batch: 'w' });
    await writer.close();
    expect(await count("batch = 'w'")).toBe(4);
  });
});

describe('embedded engine', () => {
  it('runs concurrent queries on one client, each with its own settings', async () => {
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        client
          .query({ query: `SELECT getSetting('max_threads') AS m, sum(number) AS s FROM numbers(1000000)`, format: 'JSONEachRow', clickhouse_settings: { max_threads: i + 1 } })
          .then((r) => r.json<{ m: number }>()),
      ),
    );
    expect(results.map((r) => Number(r[0]!.m))).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
  });

  it('refuses a second process on the same data directory with a clear error', async () => {
    const script = join(tmp, 'second-opener.ts');
    writeFileSync(
      script,
      `import { openClickHouse, loadClickHouseConfig } from ${JSON.stringify(join(ROOT, 'packages/clickhouse/src/index.ts'))};
try { openClickHouse(loadClickHouseConfig()); console.log('OPENED'); } catch (e) { console.log(e.name + ': ' + e.message); }
process.exit(0);`,
    );
    const { stdout } = await run(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, env: { ...process.env, CS_DATA_DIR: cfg.dataDir } });
    expect(stdout).toContain(`EmbeddedStoreLockedError: the embedded ClickHouse store ${cfg.dataDir} is in use by another process (pid ${process.pid})`);
  }, 30_000);
});

describe('SQL text helpers', () => {
  it('finds a trailing FORMAT clause outside strings and comments', () => {
    expect(formatClause('SELECT 1 FORMAT JSONEachRow')).toBe('JSONEachRow');
    expect(formatClause('SELECT 1 FORMAT CSV SETTINGS max_threads = 1;')).toBe('CSV');
    expect(formatClause("SELECT 'FORMAT CSV'")).toBeUndefined();
    expect(formatClause('SELECT format FROM t')).toBeUndefined();
    expect(formatClause('SELECT 1 -- FORMAT CSV')).toBeUndefined();
  });
  it('detects multi-statements', () => {
    expect(isMultiStatement('SELECT 1;;\n')).toBe(false);
    expect(isMultiStatement("SELECT ';' -- ;\n")).toBe(false);
    expect(isMultiStatement('SELECT 1; DROP TABLE x')).toBe(true);
  });
});

describe('SQL endpoint', () => {
  const T = `${DB}.tickets`;
  let ep: SqlEndpoint;
  let analyst: ReturnType<typeof createClient>;

  const get = (params: Record<string, string>, init?: RequestInit) => fetch(`${ep.url}/?${new URLSearchParams(params)}`, init);

  beforeAll(async () => {
    await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${DB}` });
    await client.command({ query: `CREATE TABLE ${T} (id UInt32, bu String, tags Array(String)) ENGINE = MergeTree ORDER BY id` });
    await insertRows(client, T, [
      { id: 1, bu: 'retail', tags: ['a'] },
      { id: 2, bu: "it's\ttabbed", tags: ['b', "q'uote"] },
      { id: 3, bu: 'retail', tags: [] },
    ]);
    ep = await startSqlEndpoint(client, { port: 0, database: DB });
    analyst = createClient({ url: ep.url, ...quiet });
  });

  afterAll(async () => {
    await analyst?.close();
    await ep?.close();
  });

  it('answers /ping and / like ClickHouse', async () => {
    for (const path of ['/ping', '/']) {
      const res = await fetch(`${ep.url}${path}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('Ok.\n');
    }
    expect((await analyst.ping()).success).toBe(true);
  });

  it('serves @clickhouse/client queries with JSONEachRow and query_params', async () => {
    const rs = await analyst.query({
      query: 'SELECT id, bu, tags FROM tickets WHERE bu = {bu:String} OR hasAny(tags, {tags:Array(String)}) ORDER BY id',
      query_params: { bu: "it's\ttabbed", tags: ['a'] },
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([
      { id: 1, bu: 'retail', tags: ['a'] },
      { id: 2, bu: "it's\ttabbed", tags: ['b', "q'uote"] },
    ]);
    const multipart = createClient({ url: ep.url, ...quiet, use_multipart_params: true });
    try {
      const rs2 = await multipart.query({ query: 'SELECT {s:String} AS s, {n:UInt8} + 1 AS n', query_params: { s: "x'y\\z", n: 4 }, format: 'JSONEachRow' });
      expect(await rs2.json()).toEqual([{ s: "x'y\\z", n: 5 }]);
    } finally {
      await multipart.close();
    }
    const byId = await analyst.query({ query: `SELECT toString(count()) AS c FROM ${T} WHERE id > {min:UInt32}`, query_params: { min: 1 }, format: 'JSON' });
    expect((await byId.json<{ c: string }>()).data).toEqual([{ c: '2' }]);
  });

  it('honours the client database, compression and settings', async () => {
    const other = createClient({ url: ep.url, ...quiet, database: 'system', compression: { response: true }, clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
    try {
      const rs = await other.query({ query: 'SELECT currentDatabase() AS db, toUInt64(7) AS n FROM one', format: 'JSONEachRow' });
      expect(await rs.json()).toEqual([{ db: 'system', n: 7 }]);
    } finally {
      await other.close();
    }
  });

  it('serves curl-style GET and POST, TabSeparated by default', async () => {
    const res = await get({ query: 'SELECT id, bu FROM tickets WHERE id = 1', query_id: 'q-1' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('1\tretail\n');
    expect(res.headers.get('x-clickhouse-format')).toBe('TabSeparated');
    expect(res.headers.get('x-clickhouse-query-id')).toBe('q-1');
    expect(JSON.parse(res.headers.get('x-clickhouse-summary')!)).toMatchObject({ read_rows: expect.any(String) });

    const post = await fetch(ep.url, { method: 'POST', body: 'SELECT count() FROM tickets' });
    expect(await post.text()).toBe('3\n');

    const joined = await get({ query: 'SELECT id FROM tickets', default_format: 'JSONEachRow' }, { method: 'POST', body: 'WHERE id = 3' });
    expect(await joined.text()).toBe('{"id":3}\n');

    const withFormat = await get({ query: 'SELECT id, bu FROM tickets WHERE id = {id:UInt32} FORMAT CSV', param_id: '3', default_format: 'JSONEachRow' });
    expect(withFormat.headers.get('x-clickhouse-format')).toBe('CSV');
    expect(await withFormat.text()).toBe('3,"retail"\n');
  });

  it('refuses writes, DDL and attempts to lift readonly', async () => {
    const insert = await fetch(ep.url, { method: 'POST', body: "INSERT INTO tickets VALUES (9, 'x', [])" });
    expect(insert.status).toBe(403);
    expect(insert.headers.get('x-clickhouse-exception-code')).toBe('164');
    expect(await insert.text()).toMatch(/^Code: 164\. DB::Exception: .*readonly mode.*\(READONLY\)/);

    await expect(analyst.command({ query: 'CREATE TABLE t2 (x UInt8) ENGINE = Memory' })).rejects.toMatchObject({ code: '164', type: 'READONLY' });
    await expect(analyst.command({ query: `DROP TABLE ${T}` })).rejects.toMatchObject({ code: '164' });
    await expect(analyst.exec({ query: `INSERT INTO ${T} SETTINGS readonly = 0 VALUES (9, 'x', [])` })).rejects.toMatchObject({ code: '164' });
    const lifted = await get({ query: `INSERT INTO ${T} VALUES (9, 'x', [])`, readonly: '0' });
    expect(lifted.status).toBe(403);
    const multi = await fetch(ep.url, { method: 'POST', body: `SELECT 1; DROP TABLE ${T}` });
    expect(multi.status).toBe(400);
    expect(await multi.text()).toMatch(/^Code: 62\. DB::Exception: Multi-statements are not allowed/);
    expect(await rows(`SELECT toString(count()) AS c FROM ${T}`)).toEqual([{ c: '3' }]);
  });

  it('reports errors with ClickHouse codes and statuses', async () => {
    const res = await get({ query: 'SELECT * FROM nope' });
    expect(res.status).toBe(404);
    expect(await res.text()).toMatch(/^Code: 60\. DB::Exception: .*\(UNKNOWN_TABLE\) \(version [\d.]+\)\n$/);
    await expect(analyst.query({ query: 'SELEC 1', format: 'JSONEachRow' })).rejects.toMatchObject({ code: '62', type: 'SYNTAX_ERROR' });
  });

  it('serves concurrent requests', async () => {
    const counts = await Promise.all(
      Array.from({ length: 8 }, () => analyst.query({ query: 'SELECT toString(count()) AS c FROM tickets', format: 'JSONEachRow' }).then((r) => r.json<{ c: string }>())),
    );
    expect(counts.flat()).toEqual(Array(8).fill({ c: '3' }));
  });

  it('in server mode, proxies to CLICKHOUSE_URL with readonly=1', async () => {
    const serverCfg = loadClickHouseConfig({ CLICKHOUSE_URL: ep.url, CS_DATABASE: DB });
    const serverClient = openClickHouse(serverCfg, { log: createLogger('test', 'silent') });
    const proxy = await startSqlEndpoint(serverClient, { port: 0, database: DB });
    const viaProxy = createClient({ url: proxy.url, ...quiet });
    try {
      const rs = await viaProxy.query({ query: 'SELECT id FROM tickets WHERE bu = {bu:String} ORDER BY id', query_params: { bu: 'retail' }, format: 'JSONEachRow' });
      expect(await rs.json()).toEqual([{ id: 1 }, { id: 3 }]);
      await expect(viaProxy.command({ query: `TRUNCATE TABLE ${T}` })).rejects.toMatchObject({ code: '164' });
    } finally {
      await viaProxy.close();
      await proxy.close();
      await serverClient.close();
    }
  });

  describe('endpoint file and npm run sql', () => {
    const cli = (args: string[], env: Record<string, string>) =>
      run(process.execPath, ['--import', 'tsx', join(ROOT, 'services/stack/src/sql-cli.ts'), ...args], {
        cwd: ROOT,
        env: { ...process.env, CLICKHOUSE_URL: '', CS_DATABASE: DB, CS_DATA_DIR: cfg.dataDir, ...env },
      }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );

    it('writes, reads and removes the endpoint file, ignoring dead pids', () => {
      const file = join(tmp, 'ep', 'sql-endpoint.json');
      expect(readEndpointFile(file)).toBeUndefined();
      writeEndpointFile({ url: ep.url, dataDir: cfg.dataDir }, file);
      expect(readEndpointFile(file)).toEqual({ url: ep.url, dataDir: cfg.dataDir, pid: process.pid });
      const dead = spawnSync(process.execPath, ['-e', '0']).pid;
      writeEndpointFile({ url: ep.url, pid: dead }, file);
      expect(readEndpointFile(file)).toBeUndefined();
      removeEndpointFile(file);
      expect(readEndpointFile(file)).toBeUndefined();
      writeEndpointFile({ url: ep.url }, file);
      removeEndpointFile(file);
      expect(readEndpointFile(file)).toBeUndefined();
    });

    it('queries the running endpoint, PrettyCompact by default', async () => {
      const file = join(tmp, 'ep-live.json');
      writeEndpointFile({ url: ep.url, dataDir: cfg.dataDir, database: DB }, file);
      const pretty = await cli(['SELECT id, bu FROM tickets WHERE id = 1'], { CS_SQL_ENDPOINT_FILE: file });
      expect(pretty.code).toBe(0);
      expect(pretty.stdout).toMatch(/┌─id─┬─bu─────┐\n1\. │  1 │ retail │\n/);
      const json = await cli(['--format', 'JSONEachRow', '-p', 'id=3', 'SELECT id FROM tickets WHERE id = {id:UInt32}'], { CS_SQL_ENDPOINT_FILE: file });
      expect(json.stdout).toBe('{"id":3}\n');
      const refused = await cli([`INSERT INTO tickets VALUES (9, 'x', [])`], { CS_SQL_ENDPOINT_FILE: file });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/Code: 164\. DB::Exception/);
    }, 30_000);

    it('says so when the store is held by a process without an endpoint', async () => {
      const res = await cli(['SELECT 1'], { CS_SQL_ENDPOINT_FILE: join(tmp, 'absent.json') });
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(`is held by process ${process.pid}, which advertises no SQL endpoint`);
    }, 30_000);

    it('opens a free embedded store directly (read-only unless --write)', async () => {
      const env = { CS_SQL_ENDPOINT_FILE: join(tmp, 'absent.json'), CS_DATA_DIR: join(tmp, 'free-store'), CS_DATABASE: 'default' };
      expect((await cli(['CREATE TABLE t (x UInt8) ENGINE = MergeTree ORDER BY x'], env)).code).toBe(1);
      expect((await cli(['--write', 'CREATE TABLE t (x UInt8) ENGINE = MergeTree ORDER BY x'], env)).code).toBe(0);
      expect((await cli(['--write', 'INSERT INTO t VALUES (4), (5)'], env)).code).toBe(0);
      const out = await cli(['-f', 'TSV', 'SELECT sum(x) FROM t'], env);
      expect(out).toMatchObject({ code: 0, stdout: '9\n' });
    }, 60_000);
  });
});
