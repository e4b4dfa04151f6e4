// The SQL endpoint's access rules without an engine: credentials, users, statement checks, insert data.
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@cs/runtime';
import { authenticate, limitSettings, loadSqlAccess, requestCredentials } from '../src/sql-access.ts';
import { checkStatement, splitInsertData } from '../src/sql-guard.ts';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
const url = (search = '') => new URL(`http://x/${search}`);
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('requestCredentials', () => {
  it('reads basic auth, X-ClickHouse-User/Key and user/password parameters, like ClickHouse', () => {
    expect(requestCredentials(req({ authorization: basic('writer', 'p:w') }), url())).toEqual({ user: 'writer', password: 'p:w' });
    expect(requestCredentials(req({ 'x-clickhouse-user': 'grafana', 'x-clickhouse-key': 'k' }), url())).toEqual({ user: 'grafana', password: 'k' });
    expect(requestCredentials(req({}), url('?user=analyst&password=pw'))).toEqual({ user: 'analyst', password: 'pw' });
    expect(requestCredentials(req({}), url())).toBeUndefined();
  });
});

describe('loadSqlAccess and authenticate', () => {
  const access = loadSqlAccess({ CS_WRITER_PASSWORD: 'writer-secret', CS_ANALYST_PASSWORD: 'analyst-secret', CS_GRAFANA_PASSWORD: 'grafana-secret' });

  it('logs each user in with its own password only', () => {
    expect(authenticate(access, { user: 'writer', password: 'writer-secret' })).toEqual({ user: 'writer', role: 'writer' });
    expect(authenticate(access, { user: 'analyst', password: 'analyst-secret' })).toEqual({ user: 'analyst', role: 'reader' });
    expect(authenticate(access, { user: 'grafana', password: 'grafana-secret' })).toEqual({ user: 'grafana', role: 'reader' });
    for (const bad of [{ user: 'writer', password: 'analyst-secret' }, { user: 'analyst', password: '' }, { user: 'root', password: 'writer-secret' }, undefined]) {
      expect(() => authenticate(access, bad), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: '516', type: 'AUTHENTICATION_FAILED' }));
    }
    // The password never appears in the refusal.
    expect(() => authenticate(access, { user: 'writer', password: 'guess-123' })).toThrow(/^writer: Authentication failed/);
  });

  it('without an analyst password, requests without credentials are the analyst; the writer still needs its password', () => {
    const open = loadSqlAccess({ CS_WRITER_PASSWORD: 'writer-secret' });
    expect(open.anonymousReader).toBe(true);
    expect(authenticate(open, undefined)).toEqual({ user: 'analyst', role: 'reader' });
    expect(authenticate(open, { user: 'default', password: '' })).toEqual({ user: 'analyst', role: 'reader' });
    expect(() => authenticate(open, { user: 'writer', password: '' })).toThrow(/Authentication failed/);
    expect(loadSqlAccess({}).accounts).toEqual([]);
  });

  it('reads the reader limits and refuses weak or bad settings', () => {
    expect(limitSettings(loadSqlAccess({}).limits)).toEqual({ max_execution_time: 60, max_memory_usage: 2_000_000_000, max_threads: 1, max_result_bytes: 512 * 1024 * 1024 });
    expect(loadSqlAccess({ CS_SQL_MAX_EXECUTION_TIME: '1500ms', CS_SQL_MAX_THREADS: '2' }).limits).toMatchObject({ maxExecutionTime: 1.5, maxThreads: 2 });
    expect(() => loadSqlAccess({ CS_WRITER_PASSWORD: 'short' })).toThrow(ConfigError);
    expect(() => loadSqlAccess({ CS_SQL_MAX_THREADS: '0' })).toThrow(/CS_SQL_MAX_THREADS must be a positive integer/);
  });
});

describe('splitInsertData', () => {
  it('separates the rows of an INSERT … FORMAT from the statement, whatever the rows hold', () => {
    expect(splitInsertData('INSERT INTO cs.t FORMAT JSONEachRow\n{"a":"x; DROP TABLE y","b":"it\'s"}\n')).toEqual({
      statement: 'INSERT INTO cs.t FORMAT JSONEachRow',
      data: '{"a":"x; DROP TABLE y","b":"it\'s"}\n',
    });
    expect(splitInsertData('INSERT INTO t (a, b) SETTINGS async_insert = 0 FORMAT TSV 1\t2')).toEqual({ statement: 'INSERT INTO t (a, b) SETTINGS async_insert = 0 FORMAT TSV', data: '1\t2' });
    expect(splitInsertData("INSERT INTO t VALUES ('FORMAT x')")).toEqual({ statement: "INSERT INTO t VALUES ('FORMAT x')", data: undefined });
    expect(splitInsertData('SELECT 1 FORMAT JSON')).toEqual({ statement: 'SELECT 1 FORMAT JSON', data: undefined });
  });
});

describe('checkStatement', () => {
  const allowed = (sql: string, role: 'writer' | 'reader' = 'writer') => () => checkStatement(sql, role, role);

  it('lets the writer run what the pipeline runs', () => {
    for (const sql of [
      'CREATE DATABASE IF NOT EXISTS cs',
      'CREATE TABLE IF NOT EXISTS cs.t (a UInt8) ENGINE = ReplacingMergeTree ORDER BY a SETTINGS non_replicated_deduplication_window = 1000',
      'CREATE TABLE IF NOT EXISTS cs.h AS cs.m ENGINE = SummingMergeTree((n, d)) ORDER BY a',
      'CREATE OR REPLACE VIEW cs.metrics AS SELECT 1',
      'create view if not exists cs.contacts as select * from cs.contacts_local final',
      'ALTER TABLE cs.processor_log MODIFY TTL toDateTime(written_at) + INTERVAL 3 DAY',
      'DELETE FROM cs.processor_snapshots WHERE seq < 3',
      'INSERT INTO cs.t FORMAT JSONEachRow',
      '  (SELECT 1)',
      'WITH 1 AS x SELECT x',
      "SELECT 'file(/etc/passwd)' AS quoted, `url(` AS ident -- url('x')",
      'OPTIMIZE TABLE cs.t FINAL',
      'DROP VIEW IF EXISTS cs.old_view',
      'DROP TABLE IF EXISTS cs.metric_sums_day SYNC',
      'drop table cs_test.metric_sums_minute',
      'SHOW TABLES FROM cs',
    ]) {
      expect(allowed(sql), sql).not.toThrow();
    }
  });

  it('refuses the writer anything else, and everyone the host', () => {
    const refused: [string, 'writer' | 'reader', RegExp][] = [
      ['SYSTEM SHUTDOWN', 'writer', /"SYSTEM SHUTDOWN"/],
      ['DROP DATABASE cs', 'writer', /"DROP DATABASE"/],
      ['DROP TABLE cs.raw_sessions', 'writer', /"DROP TABLE"/],
      ['DROP TABLE IF EXISTS cs.metric_sums', 'writer', /"DROP TABLE"/],
      ['DROP TABLE cs.metric_sums_day_copy', 'writer', /"DROP TABLE"/],
      ['DROP TABLE cs.metric_sums_day, cs.raw_sessions', 'writer', /"DROP TABLE"/],
      ['TRUNCATE TABLE cs.metric_sums', 'writer', /"TRUNCATE TABLE"/],
      ['KILL QUERY WHERE 1', 'writer', /"KILL QUERY"/],
      ["CREATE USER x IDENTIFIED BY 'y'", 'writer', /"CREATE USER"/],
      ['CREATE DICTIONARY d (k UInt8) PRIMARY KEY k SOURCE(NULL()) LAYOUT(FLAT()) LIFETIME(0)', 'writer', /"CREATE DICTIONARY"/],
      ["INSERT INTO FUNCTION file('/tmp/x', 'TSV') SELECT 1", 'writer', /file\(\)/],
      ["CREATE TABLE t (a String) ENGINE = File(TSV, '/etc/passwd')", 'writer', /File\(\)/],
      ["CREATE TABLE t (a String) ENGINE=Kafka SETTINGS kafka_broker_list = 'x:9092'", 'writer', /ENGINE = Kafka/],
      ['CREATE TABLE t AS cs.m ENGINE = Distributed(c, cs, m)', 'writer', /ENGINE = Distributed/],
      ["SELECT * FROM file('/etc/passwd', 'LineAsString')", 'writer', /file\(\)/],
      ["SELECT * FROM url('http://169.254.169.254/', 'LineAsString')", 'reader', /url\(\)/],
      ["SELECT * FROM remote('db:9000', system.one)", 'reader', /remote\(\)/],
      ["SELECT * FROM s3 ('https://b/k')", 'reader', /s3\(\)/],
      ["SELECT 1 INTO OUTFILE '/tmp/x'", 'reader', /INTO OUTFILE/],
      ["INSERT INTO t FROM INFILE '/etc/passwd' FORMAT TSV", 'writer', /FROM INFILE/],
    ];
    for (const [sql, role, reason] of refused) {
      expect(allowed(sql, role), sql).toThrow(expect.objectContaining({ code: '497', type: 'ACCESS_DENIED' }));
      expect(allowed(sql, role), sql).toThrow(reason);
    }
    // Readers' writes are left to the engine's readonly mode (its READONLY errors).
    expect(allowed('INSERT INTO t VALUES (1)', 'reader')).not.toThrow();
  });
});
