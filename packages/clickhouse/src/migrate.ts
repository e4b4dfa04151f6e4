// Versioned schema migrations: deploy/clickhouse/migrations/NNNN_<name>.sql, applied in order once.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { isValidTimeZone, type Logger } from '@cs/runtime';

export interface MigrateOptions {
  /** Database substituted for `{{db}}`; created if missing; holds `schema_migrations`. */
  database: string;
  /** IANA zone substituted for `{{tz}}`. */
  timeZone: string;
  /** Directory of `NNNN_<name>.sql` files. */
  dir: string;
  log?: Logger;
}

export interface MigrationFile {
  version: number;
  name: string;
  file: string;
  /** sha256 of the file as written (before placeholder substitution). */
  checksum: string;
  text: string;
}

export interface MigrateResult {
  applied: { version: number; name: string }[];
  /** Versions already recorded, verified unchanged. */
  alreadyApplied: number;
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

const FILE = /^(\d{4})_([A-Za-z0-9_-]+)\.sql$/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The migration files of `dir`, ordered by version; rejects odd names and duplicate versions. */
export function readMigrations(dir: string): MigrationFile[] {
  const files: MigrationFile[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.sql')) continue;
    const m = FILE.exec(file);
    if (!m) throw new MigrationError(`migration file name must be NNNN_<name>.sql: ${join(dir, file)}`);
    const text = readFileSync(join(dir, file), 'utf8');
    files.push({ version: Number(m[1]), name: m[2]!, file, checksum: createHash('sha256').update(text).digest('hex'), text });
  }
  for (let i = 1; i < files.length; i++) {
    if (files[i]!.version === files[i - 1]!.version) {
      throw new MigrationError(`two migrations share version ${files[i]!.file.slice(0, 4)}: ${files[i - 1]!.file}, ${files[i]!.file}`);
    }
  }
  return files;
}

/**
 * Splits a migration into statements: a statement ends on a line whose last non-blank character is `;`
 * (comment lines never end one). Statements holding only comments are dropped.
 */
export function splitStatements(text: string): string[] {
  const out: string[] = [];
  let current: string[] = [];
  const flush = () => {
    const stmt = current.join('\n').trim();
    const meaningful = stmt.split('\n').some((l) => l.trim() !== '' && !l.trim().startsWith('--'));
    if (meaningful) out.push(stmt);
    current = [];
  };
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trimEnd();
    if (trimmed.endsWith(';') && !trimmed.trimStart().startsWith('--')) {
      current.push(trimmed.slice(0, -1));
      flush();
    } else {
      current.push(line);
    }
  }
  flush();
  return out;
}

/** Replaces `{{db}}` and `{{tz}}`; any other `{{...}}` is an error (a typo would otherwise reach ClickHouse). */
export function substitute(text: string, vars: { db: string; tz: string }, where = 'migration'): string {
  return text.replace(/\{\{\s*([A-Za-z_]+)\s*\}\}/g, (_all, key: string) => {
    if (key === 'db') return vars.db;
    if (key === 'tz') return vars.tz;
    throw new MigrationError(`${where}: unknown placeholder {{${key}}} (known: {{db}}, {{tz}})`);
  });
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

/**
 * Applies pending migrations in version order and records each in `<db>.schema_migrations`.
 * Idempotent; refuses to run when an applied file changed or disappeared. ClickHouse DDL is not
 * transactional: a file that fails halfway is not recorded and re-runs from its first statement,
 * so statements should be re-runnable (IF NOT EXISTS).
 */
export async function migrate(client: ClickHouseClient, opts: MigrateOptions): Promise<MigrateResult> {
  const { database: db, timeZone: tz, log } = opts;
  if (!IDENTIFIER.test(db)) throw new MigrationError(`database must be a plain identifier, got "${db}"`);
  if (!isValidTimeZone(tz)) throw new MigrationError(`timeZone must be an IANA zone, got "${tz}"`);
  const files = readMigrations(opts.dir);

  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (
      version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = MergeTree ORDER BY version`,
  });
  const rs = await client.query({ query: `SELECT version, name, checksum FROM ${db}.schema_migrations ORDER BY version`, format: 'JSONEachRow' });
  const applied = new Map((await rs.json<AppliedRow>()).map((r) => [Number(r.version), r]));

  const byVersion = new Map(files.map((f) => [f.version, f]));
  for (const row of applied.values()) {
    const file = byVersion.get(row.version);
    if (!file) {
      throw new MigrationError(
        `migration ${String(row.version).padStart(4, '0')}_${row.name} is recorded in ${db}.schema_migrations but missing from ${opts.dir} (database is ahead of this code)`,
      );
    }
    if (file.checksum !== row.checksum) {
      throw new MigrationError(
        `migration ${file.file} changed after it was applied (checksum ${row.checksum.slice(0, 12)}… → ${file.checksum.slice(0, 12)}…); ` +
          'never edit an applied migration: add a new NNNN_<name>.sql instead',
      );
    }
  }

  const result: MigrateResult = { applied: [], alreadyApplied: applied.size };
  for (const file of files) {
    if (applied.has(file.version)) continue;
    const statements = splitStatements(substitute(file.text, { db, tz }, file.file));
    for (const [i, query] of statements.entries()) {
      try {
        await client.command({ query });
      } catch (err) {
        throw new MigrationError(`migration ${file.file}, statement ${i + 1}/${statements.length} failed: ${(err as Error).message}`, { cause: err });
      }
    }
    await client.insert({
      table: `${db}.schema_migrations`,
      values: [{ version: file.version, name: file.name, checksum: file.checksum }],
      format: 'JSONEachRow',
    });
    log?.info({ migration: file.file, statements: statements.length }, 'applied migration');
    result.applied.push({ version: file.version, name: file.name });
  }
  return result;
}
