import { metricsViewSql, settledViewSql } from '@cs/catalog';
import { migrate, type ClickHouseClient, type MigrateResult } from '@cs/clickhouse';
import type { Logger } from '@cs/runtime';
import { migrationsDir } from './migrations.ts';

export interface PrepareOptions {
  database: string;
  /** IANA zone of the DateTime columns (CS_TIMEZONE); fixed when the database is created. */
  timeZone: string;
  logger?: Logger;
  /** Default: migrationsDir(). */
  migrationsDir?: string;
}

/**
 * Makes database `database` what this code writes and reads: applies the pending migrations, then
 * (re)creates the views generated from the metric catalog. Idempotent; run by every process that
 * writes, and once by the compose `migrations` service before the processors start.
 */
export async function prepareStorage(client: ClickHouseClient, opts: PrepareOptions): Promise<MigrateResult> {
  const dir = opts.migrationsDir ?? migrationsDir();
  const result = await migrate(client, { database: opts.database, timeZone: opts.timeZone, dir, log: opts.logger });
  opts.logger?.info({ applied: result.applied, dir }, 'clickhouse migrations applied');
  // cs.settled first: cs.metrics reads it.
  await client.command({ query: settledViewSql(opts.database, opts.timeZone) });
  await client.command({ query: metricsViewSql(opts.database) });
  return result;
}
