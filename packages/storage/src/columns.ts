// The rows of rows.ts at run time, column by column. The compiler checks each ROW_COLUMNS entry
// against its row interface (names, nullability, kind); drift.ts checks them against the engine.
import { fieldSpecs, topicSchemas, TOPICS, type FieldSpec } from '@cs/schemas';
import type {
  ContactFcrRow,
  ContactRow,
  DeadLetterReplayRow,
  DeadLetterRow,
  ForecastAccuracyRow,
  ForecastEventRow,
  ForecastRow,
  ForecastRunRow,
  MetricSumRow,
  OutreachOutcomeRow,
  ProcessorLogRow,
  ProcessorSnapshotRow,
  RowByTable,
  RowTable,
  StaffingRow,
  WatermarkRow,
} from './rows.ts';
import { RAW_TABLES, type RawTableName } from './tables.ts';

/** How a TS value is stored: epoch_ms → DateTime64(3), epoch_s → DateTime, date (YYYY-MM-DD) → Date, int → (U)IntN, float → FloatN. */
export type ValueKind = 'string' | 'bool' | 'int' | 'float' | 'epoch_ms' | 'epoch_s' | 'date';
/** A column's kind, with `?` when it may be null. */
export type ColumnKind = ValueKind | `${ValueKind}?`;

type KindsOf<V> = [V] extends [boolean] ? 'bool' : [V] extends [number] ? 'int' | 'float' | 'epoch_ms' | 'epoch_s' : [V] extends [string] ? 'string' | 'date' : never;
/** A literal of this type lists exactly the columns of row R, each with a kind its TS type allows. */
export type ColumnsOf<R> = { readonly [K in keyof R]-?: `${KindsOf<NonNullable<R[K]>>}${null extends R[K] ? '?' : ''}` };
export type Columns = Readonly<Record<string, ColumnKind>>;

/** A metric sum's bucket, dimensions and figures (the forecaster's accuracy rows have these too). */
const METRIC_VALUE_COLUMNS = {
  bucket: 'epoch_s',
  metric: 'string',
  business_unit: 'string',
  product: 'string',
  channel: 'string',
  numerator: 'float',
  denominator: 'float',
} as const;
const METRIC_SUM_COLUMNS = { grain: 'string', ...METRIC_VALUE_COLUMNS, flush: 'string' } as const satisfies ColumnsOf<MetricSumRow>;

/** Column kinds of every table the pipeline writes, except the raw tables (see rawColumns). */
export const ROW_COLUMNS = {
  contacts_local: {
    session_id: 'string',
    user_id: 'string',
    business_unit: 'string',
    product: 'string',
    channel: 'string',
    entry: 'string',
    intent: 'string?',
    start_time: 'epoch_ms',
    end_time: 'epoch_ms',
    ended_by: 'string',
    duration_seconds: 'float',
    self_service_entry: 'bool',
    transferred: 'bool',
    self_service: 'bool',
    online: 'bool',
    bot_turns: 'int',
    questions_recognized: 'int',
    questions_confirmed: 'int',
    prediction_shown: 'bool',
    prediction_clicked: 'bool',
    fcr_state: 'string',
    final: 'bool',
    version: 'int',
  } satisfies ColumnsOf<ContactRow>,
  metric_sums: METRIC_SUM_COLUMNS,
  dead_letters: {
    topic: 'string',
    partition: 'int',
    offset: 'int',
    reason: 'string',
    detail: 'string',
    key: 'string?',
    payload_base64: 'string',
    event_id: 'string?',
    event_time: 'epoch_ms?',
    dead_lettered_at: 'epoch_ms',
  } satisfies ColumnsOf<DeadLetterRow>,
  dead_letter_replays: {
    topic: 'string',
    partition: 'int',
    offset: 'int',
    replay_id: 'string',
    replayed_at: 'epoch_ms',
  } satisfies ColumnsOf<DeadLetterReplayRow>,
  outreach_outcomes: {
    outreach_id: 'string',
    user_id: 'string',
    business_unit: 'string',
    product: 'string',
    channel: 'string',
    campaign: 'string',
    contacted_at: 'epoch_ms',
    outcome: 'string',
    outcome_at: 'epoch_ms?',
    retained: 'bool',
    final: 'bool',
    version: 'int',
  } satisfies ColumnsOf<OutreachOutcomeRow>,
  processor_log: {
    processor: 'string',
    topic: 'string',
    partition: 'int',
    seq: 'int',
    from_offset: 'int',
    to_offset: 'int',
    kind: 'string',
    wall_time: 'int',
    idle: 'bool',
    advance_to: 'int?',
    state_delta: 'string',
    written_at: 'epoch_ms',
  } satisfies ColumnsOf<ProcessorLogRow>,
  processor_snapshots: {
    processor: 'string',
    topic: 'string',
    partition: 'int',
    seq: 'int',
    chunk: 'int',
    chunks: 'int',
    base: 'int',
    data: 'string',
    written_at: 'epoch_ms',
  } satisfies ColumnsOf<ProcessorSnapshotRow>,
  watermarks: {
    processor: 'string',
    prefix: 'string',
    topic: 'string',
    logical_topic: 'string',
    partition: 'int',
    partitions: 'int',
    metric: 'string',
    settled_before: 'epoch_ms',
    stream_time: 'epoch_ms',
    seq: 'int',
    flushed_at: 'epoch_ms',
  } satisfies ColumnsOf<WatermarkRow>,
  contact_fcr: {
    session_id: 'string',
    start_time: 'epoch_ms',
    fcr_state: 'string',
    version: 'int',
  } satisfies ColumnsOf<ContactFcrRow>,
  forecast_events: {
    name: 'string',
    kind: 'string',
    starts: 'date',
    ends: 'date',
    business_unit: 'string',
    channel: 'string',
    uplift: 'float?',
    note: 'string',
    updated_at: 'epoch_ms',
    deleted: 'int',
  } satisfies ColumnsOf<ForecastEventRow>,
  forecasts: {
    issued_at: 'epoch_ms',
    run: 'string',
    kind: 'string',
    business_unit: 'string',
    segment: 'string',
    role: 'string',
    model: 'string',
    origin: 'epoch_s',
    interval: 'epoch_s',
    horizon_minutes: 'int',
    point: 'float',
    lower: 'float',
    upper: 'float',
    level: 'float',
    note: 'string',
  } satisfies ColumnsOf<ForecastRow>,
  forecast_runs: {
    issued_at: 'epoch_ms',
    run: 'string',
    kind: 'string',
    business_unit: 'string',
    segment: 'string',
    origin: 'epoch_s',
    horizon_intervals: 'int',
    model: 'string',
    status: 'string',
    reason: 'string',
    history_days: 'float',
    fit_ms: 'float',
    created_at: 'epoch_ms',
  } satisfies ColumnsOf<ForecastRunRow>,
  forecast_accuracy: {
    ...METRIC_VALUE_COLUMNS,
    model: 'string',
    issued_at: 'epoch_ms',
    scored_at: 'epoch_ms',
  } satisfies ColumnsOf<ForecastAccuracyRow>,
  staffing: {
    issued_at: 'epoch_ms',
    business_unit: 'string',
    interval: 'epoch_s',
    calls: 'float',
    aht_seconds: 'float',
    patience_seconds: 'float?',
    method: 'string',
    target_service_level: 'float',
    target_answer_seconds: 'float',
    agents_required: 'int',
    service_level: 'float',
    abandon_rate: 'float?',
    occupancy: 'float',
  } satisfies ColumnsOf<StaffingRow>,
} as const satisfies { [T in Exclude<RowTable, RawTableName>]: ColumnsOf<RowByTable[T]> };

function fieldKind(f: FieldSpec): ValueKind {
  if (f.timestampMillis) return 'epoch_ms';
  switch (f.kind) {
    case 'string':
    case 'enum':
      return 'string';
    case 'int':
    case 'long':
      return 'int';
    case 'float':
    case 'double':
      return 'float';
    case 'boolean':
      return 'bool';
  }
}

/** A raw table's columns: the topic's latest Avro fields (the source of the TS event types), then the Kafka position. */
export function rawColumns(table: RawTableName): Columns {
  const topic = TOPICS.find((t) => RAW_TABLES[t] === table)!;
  const columns: Record<string, ColumnKind> = {};
  for (const f of fieldSpecs(topicSchemas(topic).latest.schema)) columns[f.name] = f.nullable ? `${fieldKind(f)}?` : fieldKind(f);
  return { ...columns, kafka_partition: 'int', kafka_offset: 'int' };
}

/** The columns of every written table, raw tables included. */
export function writtenColumns(): Map<RowTable, Columns> {
  const out = new Map<RowTable, Columns>();
  for (const table of Object.values(RAW_TABLES)) out.set(table, rawColumns(table));
  for (const [table, columns] of Object.entries(ROW_COLUMNS)) out.set(table as RowTable, columns);
  return out;
}
