/**
 * Least-privilege ClickHouse users, defined three times for three deployments, checked against each
 * other: the server's users.d XML (docker compose), the SQL grants for a server managed with SQL
 * (deploy/clickhouse/grants), and the users of the embedded store's SQL endpoint (SQL_USERS).
 * The SQL is parsed by the engine itself (formatQuery: chdb has no writable user directory to apply it).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, RETIRED_TABLES, SQL_USERS, splitStatements } from '@cs/clickhouse';
import { openTestStore, query, type TestStore } from '../support/pipeline.ts';

const ROOT = repoRoot();
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const XML = read('deploy/clickhouse/users.d/cs-users.xml').replace(/<!--[\s\S]*?-->/g, '');

/** users.d: user → { password variable, profile, grants }. */
function xmlUsers(): Map<string, { passwordVar: string; profile: string; grants: string[] }> {
  const block = /<users>([\s\S]*)<\/users>/.exec(XML)![1]!;
  const out = new Map<string, { passwordVar: string; profile: string; grants: string[] }>();
  for (const m of block.matchAll(/<([a-z_][a-z0-9_]*)>([\s\S]*?)<\/\1>/g)) {
    const body = m[2]!;
    out.set(m[1]!, {
      passwordVar: /<password from_env="([A-Z_][A-Z0-9_]*)"\s*\/>/.exec(body)![1]!,
      profile: /<profile>([^<]+)<\/profile>/.exec(body)![1]!,
      grants: [...body.matchAll(/<query>([^<]+)<\/query>/g)].map((g) => g[1]!.trim()),
    });
  }
  return out;
}

/** `GRANT a, b ON db.* …` → the privileges, upper case, sorted. */
const privileges = (grant: string) =>
  /^GRANT (.+?) ON /i
    .exec(grant)![1]!
    .split(',')
    .map((p) => p.trim().toUpperCase())
    .sort();

let store: TestStore;
beforeAll(async () => {
  store = await openTestStore('UTC');
});
afterAll(async () => {
  await store?.client.close();
});

async function formatted(sql: string): Promise<string[]> {
  const out: string[] = [];
  for (const statement of splitStatements(sql)) {
    const [row] = await query<{ f: string }>(store.client, `SELECT formatQuery('${statement.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}') AS f`);
    expect(row?.f, statement).toBeTruthy();
    out.push(row!.f);
  }
  return out;
}

describe('ClickHouse users: writer, analyst and grafana', () => {
  it('are the same three users, with the same password variables, in users.d and at the SQL endpoint', () => {
    const users = xmlUsers();
    expect([...users.keys()].sort()).toEqual(SQL_USERS.map((u) => u.user).sort());
    for (const u of SQL_USERS) expect(users.get(u.user)!.passwordVar, u.user).toBe(u.passwordVar);
  });

  it('give the readers SELECT on the database only, read-only, and the writer no more than the pipeline needs', () => {
    const users = xmlUsers();
    for (const reader of SQL_USERS.filter((u) => u.role === 'reader')) {
      expect(users.get(reader.user)!.grants, reader.user).toEqual(['GRANT SELECT ON cs.*']);
      const profile = users.get(reader.user)!.profile;
      expect(new RegExp(`<${profile}>[\\s\\S]*?<readonly>2</readonly>`).test(XML), `${reader.user}: readonly profile`).toBe(true);
    }
    const writer = users.get('writer')!;
    expect(writer.grants.slice(1)).toEqual(RETIRED_TABLES.map((t) => `GRANT DROP TABLE ON cs.${t}`));
    expect(writer.grants[0]).toMatch(/ ON cs\.\*$/);
    expect(privileges(writer.grants[0]!)).toEqual(['ALTER', 'CREATE DATABASE', 'CREATE TABLE', 'CREATE VIEW', 'DROP VIEW', 'INSERT', 'OPTIMIZE', 'SELECT']);
  });

  it('writer.sql grants what users.d grants the writer, and parses', async () => {
    const sql = read('deploy/clickhouse/grants/writer.sql').replace(/\{\{db\}\}/g, 'cs').replace(/\{\{writer_password\}\}/g, 'writer-test-password');
    expect(sql, 'no other placeholders').not.toMatch(/\{\{/);
    const statements = await formatted(sql);
    expect(statements.map((s) => s.split(' ').slice(0, 2).join(' '))).toEqual(['CREATE ROLE', 'GRANT SELECT,', ...RETIRED_TABLES.map(() => 'GRANT DROP'), 'CREATE USER', 'GRANT cs_writer', 'ALTER USER']);
    expect(statements.filter((s) => s.startsWith('GRANT DROP TABLE'))).toEqual(RETIRED_TABLES.map((t) => `GRANT DROP TABLE ON cs.${t} TO cs_writer`));
    const grant = statements.find((s) => s.includes(' TO cs_writer'))!;
    expect(privileges(grant)).toEqual(privileges(xmlUsers().get('writer')!.grants[0]!));
    expect(grant).toMatch(/ ON cs\.\* TO cs_writer$/);
  });

  it('grafana.sql makes a read-only user with the analyst role, and parses', async () => {
    const sql = read('deploy/clickhouse/grants/grafana.sql').replace(/\{\{db\}\}/g, 'cs').replace(/\{\{grafana_password\}\}/g, 'grafana-test-password');
    expect(sql, 'no other placeholders').not.toMatch(/\{\{/);
    const statements = await formatted(sql);
    expect(statements[0]).toMatch(/^CREATE USER IF NOT EXISTS grafana .*DEFAULT DATABASE cs SETTINGS readonly = 2$/);
    expect(statements.slice(1)).toEqual(['GRANT cs_analyst TO grafana', 'ALTER USER grafana DEFAULT ROLE cs_analyst']);
    expect(read('deploy/clickhouse/grants/analyst.sql')).toMatch(/GRANT SELECT ON \{\{db\}\}\.\* TO cs_analyst;/);
  });
});
