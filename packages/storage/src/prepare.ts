import { metricsViewSql, settledViewSql } from '@cs/catalog';
import { migrate, type ClickHouseClient, type MigrateResult } from '@cs/clickhouse';
import type { Logger } from '@cs/runtime';
import { migrationsDir } from './migrations.ts';
import { applyRawRetention, type RawRetention } from './retention.ts';

export interface PrepareOptions {
  database: string;
  /** IANA zone of the DateTime columns (CS_TIMEZONE); fixed when the database is created. */
  timeZone: string;
  logger?: Logger;
  /** Default: migrationsDir(). */
  migrationsDir?: string;
  /** The raw tables' retention (CS_RAW_RETENTION: loadRawRetention); unset leaves them as they are. */
  rawRetention?: RawRetention;
}

/**
 * Makes database `database` what this code writes and reads: applies the pending migrations, then
 * (re)creates the views generated from the metric catalog, then the raw tables' retention. Idempotent; run by every process that
 * writes, and once by the compose `migrations` service before the processors start.
 */
export async function prepareStorage(client: ClickHouseClient, opts: PrepareOptions): Promise<MigrateResult> {
  const dir = opts.migrationsDir ?? migrationsDir();
  const result = await migrate(client, { database: opts.database, timeZone: opts.timeZone, dir, log: opts.logger });
  opts.logger?.info({ applied: result.applied, dir }, 'clickhouse migrations applied');
  // cs.settled first: cs.metrics reads it.
  await client.command({ query: settledViewSql(opts.database, opts.timeZone) });
  await client.command({ query: metricsViewSql(opts.database) });
  if (opts.rawRetention) await applyRawRetention(client, opts.database, opts.rawRetention, opts.logger);
  return result;
}
