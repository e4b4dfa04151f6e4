import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import { metricsViewSql } from '@cs/catalog';
import { migrate } from '@cs/clickhouse';
import type { Logger } from '@cs/runtime';
import { applyRawRetention, type RawRetention } from './retention.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../deploy/clickhouse/migrations', import.meta.url));

/**
 * Applies the versioned migrations, then (re)creates the views generated from the metric catalog, then
 * the raw tables' retention (CS_RAW_RETENTION, when given).
 */
export async function prepareStorage(client: ClickHouseClient, opts: { database: string; timeZone: string; logger?: Logger; rawRetention?: RawRetention }): Promise<void> {
  const result = await migrate(client, { database: opts.database, timeZone: opts.timeZone, dir: MIGRATIONS_DIR });
  opts.logger?.info({ applied: result.applied }, 'clickhouse migrations applied');
  await client.command({ query: metricsViewSql(opts.database) });
  if (opts.rawRetention) await applyRawRetention(client, opts.database, opts.rawRetention, opts.logger);
}
