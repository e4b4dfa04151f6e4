// The rows of rows.ts at run time, column by column, and how their kinds map onto ClickHouse types.
// The compiler checks each ROW_COLUMNS entry against its row interface (names, nullability, kind);
// describeDrift checks them against the engine's system.columns.
import type { ClickHouseClient } from '@cs/clickhouse';
import { fieldSpecs, topicSchemas, TOPICS, type FieldSpec } from '@cs/schemas';
import type { ContactRow, DeadLetterRow, MetricSumRow, OutreachOutcomeRow, ProcessorLogRow, ProcessorSnapshotRow, RowByTable, RowTable } from './rows.ts';
import { RAW_TABLES, TABLES, type RawTableName } from './tables.ts';

/** How a TS value is stored: epoch_ms → DateTime64(3), epoch_s → DateTime, int → (U)IntN, float → FloatN. */
export type ValueKind = 'string' | 'bool' | 'int' | 'float' | 'epoch_ms' | 'epoch_s';
/** A column's kind, with `?` when it may be null. */
export type ColumnKind = ValueKind | `${ValueKind}?`;

type KindsOf<V> = [V] extends [boolean] ? 'bool' : [V] extends [number] ? 'int' | 'float' | 'epoch_ms' | 'epoch_s' : [V] extends [string] ? 'string' : never;
/** A literal of this type lists exactly the columns of row R, each with a kind its TS type allows. */
export type ColumnsOf<R> = { readonly [K in keyof R]-?: `${KindsOf<NonNullable<R[K]>>}${null extends R[K] ? '?' : ''}` };
export type Columns = Readonly<Record<string, ColumnKind>>;

const METRIC_SUM_COLUMNS = {
  bucket: 'epoch_s',
  metric: 'string',
  business_unit: 'string',
  product: 'string',
  channel: 'string',
  numerator: 'float',
  denominator: 'float',
} as const satisfies ColumnsOf<MetricSumRow>;

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
  metric_sums_minute: METRIC_SUM_COLUMNS,
  metric_sums_hour: METRIC_SUM_COLUMNS,
  metric_sums_day: METRIC_SUM_COLUMNS,
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
    data: 'string',
    written_at: 'epoch_ms',
  } satisfies ColumnsOf<ProcessorSnapshotRow>,
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

const TYPE_PATTERNS: Record<ValueKind, RegExp> = {
  string: /^(String|FixedString\(\d+\)|Enum(8|16)\(.*\))$/,
  bool: /^Bool$/,
  int: /^U?Int(8|16|32|64)$/,
  float: /^Float(32|64)$/,
  epoch_ms: /^DateTime64\(3(, '[^']+')?\)$/,
  epoch_s: /^DateTime(\('[^']+'\))?$/,
};

/** Why a ClickHouse column type cannot hold a column of this kind, or null when it can. */
export function typeMismatch(kind: ColumnKind, type: string): string | null {
  const nullable = kind.endsWith('?');
  const value = (nullable ? kind.slice(0, -1) : kind) as ValueKind;
  let inner = type;
  let lowCardinality = false;
  let isNullable = false;
  for (let m; (m = /^(LowCardinality|Nullable)\((.*)\)$/.exec(inner)); inner = m[2]!) {
    if (m[1] === 'Nullable') isNullable = true;
    else lowCardinality = true;
  }
  if (lowCardinality && value !== 'string') return `${type} is LowCardinality, for ${value} values`;
  if (isNullable !== nullable) return nullable ? `${type} is not Nullable, the row may hold null` : `${type} is Nullable, the row never holds null`;
  return TYPE_PATTERNS[value].test(inner) ? null : `${type} does not hold ${value} values`;
}

interface SystemColumn {
  table: string;
  name: string;
  type: string;
  default_kind: string;
}

/**
 * Differences between this package and database `db` as the engine has it: a table of TABLES missing
 * or one not in TABLES, a row column the table lacks or types otherwise, a table column without a
 * default that rows do not fill. Empty when the code and the migrations agree.
 */
export async function describeDrift(client: ClickHouseClient, db: string): Promise<string[]> {
  const problems: string[] = [];
  const tables = await client.query({ query: 'SELECT name FROM system.tables WHERE database = {db:String}', query_params: { db }, format: 'JSONEachRow' });
  const existing = new Set((await tables.json<{ name: string }>()).map((t) => t.name));
  const known = new Set<string>(Object.values(TABLES));
  for (const name of known) if (!existing.has(name)) problems.push(`${db}.${name}: in TABLES but not in the database`);
  for (const name of existing) if (!known.has(name)) problems.push(`${db}.${name}: in the database but not in TABLES`);

  const rs = await client.query({
    query: 'SELECT table, name, type, default_kind FROM system.columns WHERE database = {db:String} ORDER BY table, position',
    query_params: { db },
    format: 'JSONEachRow',
  });
  const byTable = new Map<string, Map<string, SystemColumn>>();
  for (const c of await rs.json<SystemColumn>()) {
    let table = byTable.get(c.table);
    if (!table) byTable.set(c.table, (table = new Map()));
    table.set(c.name, c);
  }
  for (const [table, columns] of writtenColumns()) {
    const actual = byTable.get(table);
    if (!actual) continue; // reported above
    for (const [name, kind] of Object.entries(columns)) {
      const column = actual.get(name);
      const mismatch = column ? typeMismatch(kind, column.type) : 'no such column';
      if (mismatch) problems.push(`${db}.${table}.${name} (${kind}): ${mismatch}`);
    }
    for (const column of actual.values()) {
      if (column.default_kind === '' && !(column.name in columns)) problems.push(`${db}.${table}.${column.name} (${column.type}): not in the typed row, and it has no default`);
    }
  }
  return problems;
}
