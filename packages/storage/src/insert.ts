import { insertRows, type ClickHouseClient, type InsertOptions } from '@cs/clickhouse';
import type { RowByTable, RowTable } from './rows.ts';

/** insertRows into `<db>.<table>`, with rows of that table's type (a row for another table is a compile error). */
export function insertInto<T extends RowTable>(client: ClickHouseClient, db: string, table: T, rows: readonly RowByTable[T][], opts?: InsertOptions): Promise<void> {
  return insertRows(client, `${db}.${table}`, rows, opts);
}
