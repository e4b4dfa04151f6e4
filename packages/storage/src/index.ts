// @cs/storage — the storage contract of the pipeline: which tables exist (TABLES), what is written
// to them (typed rows), and how a database is brought to that state (prepareStorage).
export { TABLES, RAW_TABLES, tablesIn, type TableKey, type TableName, type RawTableName, type QualifiedTables } from './tables.ts';
export type {
  RawEventRow,
  KafkaPosition,
  ContactRow,
  FcrState,
  MetricSumRow,
  DeadLetterRow,
  DeadLetterReplayRow,
  OutreachOutcome,
  OutreachOutcomeRow,
  ProcessorLogRow,
  ProcessorSnapshotRow,
  ForecastEventRow,
  ForecastRow,
  ForecastRunRow,
  ForecastAccuracyRow,
  StaffingRow,
  RowByTable,
  RowTable,
} from './rows.ts';
export { ROW_COLUMNS, rawColumns, writtenColumns, type ColumnKind, type ValueKind, type Columns, type ColumnsOf } from './columns.ts';
export { typeMismatch, describeDrift } from './drift.ts';
export { insertInto } from './insert.ts';
export { migrationsDir, MIGRATIONS_SUBDIR } from './migrations.ts';
export { prepareStorage, type PrepareOptions } from './prepare.ts';
export { loadRawRetention, applyRawRetention, rawTtlExpression, type RawRetention } from './retention.ts';
