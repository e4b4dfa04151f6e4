import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import { metricsViewSql, settledViewSql } from '@cs/catalog';
import { migrate } from '@cs/clickhouse';
import type { Logger } from '@cs/runtime';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../deploy/clickhouse/migrations', import.meta.url));

/** Applies the versioned migrations, then (re)creates the views generated from the metric catalog. */
export async function prepareStorage(client: ClickHouseClient, opts: { database: string; timeZone: string; logger?: Logger }): Promise<void> {
  const result = await migrate(client, { database: opts.database, timeZone: opts.timeZone, dir: MIGRATIONS_DIR });
  opts.logger?.info({ applied: result.applied }, 'clickhouse migrations applied');
  await client.command({ query: settledViewSql(opts.database, opts.timeZone) });
  await client.command({ query: metricsViewSql(opts.database) });
}
