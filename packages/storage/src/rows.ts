// What is written to each table, as TypeScript types: one interface per table (raw tables share the
// event types of @cs/schemas). Instants are numbers: epoch milliseconds for DateTime64(3) columns,
// epoch seconds for DateTime ones (metric buckets). columns.ts describes the same rows at run time, and
// a test compares them with system.columns of the migrated engine.
//
// A new table: its name in TABLES (tables.ts), its row interface here and in RowByTable, its column
// kinds in ROW_COLUMNS (columns.ts; the compiler insists), and a migration that creates it.
import type { Grain, MetricId } from '@cs/catalog';
import type { EventByTopic, Topic } from '@cs/schemas';
import type { RAW_TABLES } from './tables.ts';

/** Where a raw event was read: the raw tables' columns after the event's own fields. */
export interface KafkaPosition {
  kafka_partition: number;
  kafka_offset: number;
}

/** A row of a raw table: the accepted event, as its schema's TS type, and its Kafka position. */
export type RawEventRow<T extends Topic = Topic> = EventByTopic[T] & KafkaPosition;

export type FcrState = 'pending' | 'resolved' | 'not_resolved';

/** A row of `contacts_local` (read through the view `contacts`, which drops `version`). */
export interface ContactRow {
  session_id: string;
  user_id: string;
  business_unit: string;
  product: string;
  channel: string;
  /** '' when STARTED gave none. */
  entry: string;
  intent: string | null;
  /** epoch ms */
  start_time: number;
  /** epoch ms */
  end_time: number;
  ended_by: 'ENDED' | 'inactivity';
  duration_seconds: number;
  self_service_entry: boolean;
  transferred: boolean;
  self_service: boolean;
  online: boolean;
  bot_turns: number;
  questions_recognized: number;
  questions_confirmed: number;
  prediction_shown: boolean;
  prediction_clicked: boolean;
  /** 'pending' here; the decision is in contact_fcr (the view cs.contacts shows it). */
  fcr_state: FcrState;
  final: boolean;
  /** The latest version wins: the writing flush's wall time × 1000 + its seq mod 1000. */
  version: number;
}

/** A row of `contact_fcr`: a contact's first-contact-resolution state as of one flush. */
export interface ContactFcrRow {
  session_id: string;
  /** epoch ms: the contact's start (partitions the table) */
  start_time: number;
  fcr_state: FcrState;
  /** As ContactRow.version. */
  version: number;
}

/** A row of `watermarks`: one processor partition's figures of one metric are final before `settled_before`. */
export interface WatermarkRow {
  /** The processor group. */
  processor: string;
  /** CS_TOPIC_PREFIX. */
  prefix: string;
  /** The Kafka topic (prefixed) and its partition. */
  topic: string;
  logical_topic: Topic;
  partition: number;
  /** Partitions of the topic (0 while unknown). */
  partitions: number;
  metric: MetricId;
  /** epoch ms */
  settled_before: number;
  /** epoch ms */
  stream_time: number;
  seq: number;
  /** epoch ms: the flush's wall clock */
  flushed_at: number;
}

/** A row of `metric_sums`: a contribution to one bucket's sums (rows are summed). */
export interface MetricSumRow {
  grain: Grain;
  /** epoch seconds: the bucket's start */
  bucket: number;
  metric: MetricId;
  business_unit: string;
  product: string;
  channel: string;
  numerator: number;
  denominator: number;
  /** The insert token of the flush that wrote the row ('' when none): its materialized view records it in flush_ledger. */
  flush: string;
}

/** A row of `dead_letter_replays`: a dead letter (its topic, partition, offset) `npm run dlq -- replay` re-published. */
export interface DeadLetterReplayRow {
  topic: string;
  partition: number;
  offset: number;
  /** The replay run. */
  replay_id: string;
  /** epoch ms */
  replayed_at: number;
}

/** A row of `dead_letters`: a refused message, keyed by its position on `topic`. */
export interface DeadLetterRow {
  topic: string;
  partition: number;
  offset: number;
  /** decode | invalid | late | future | orphan from the processor; producers of dead letters may add theirs. */
  reason: string;
  detail: string;
  key: string | null;
  /** The original message bytes, base64 (the column `payload` decodes them). */
  payload_base64: string;
  event_id: string | null;
  /** epoch ms */
  event_time: number | null;
  /** epoch ms */
  dead_lettered_at: number;
}

export type OutreachOutcome = 'RETAINED' | 'CHURNED' | 'NONE';

/** A row of `outreach_outcomes`: one decided proactive outreach. */
export interface OutreachOutcomeRow {
  outreach_id: string;
  user_id: string;
  business_unit: string;
  product: string;
  channel: string;
  campaign: string;
  /** epoch ms */
  contacted_at: number;
  outcome: OutreachOutcome;
  /** epoch ms; null when outcome is 'NONE' */
  outcome_at: number | null;
  retained: boolean;
  /** No event can change this outreach any more (its first outcome or its window end is past the horizon). */
  final: boolean;
  /** As ContactRow.version. */
  version: number;
}

/** A row of `processor_log`, the processor's write-ahead log (docs/design.md). */
export interface ProcessorLogRow {
  processor: string;
  topic: string;
  partition: number;
  seq: number;
  from_offset: number;
  to_offset: number;
  kind: 'intent' | 'done';
  /** epoch ms: the flush's recorded wall clock */
  wall_time: number;
  idle: boolean;
  /** epoch ms: an idle flush advanced the partition's stream time to this (null: a batch flush) */
  advance_to: number | null;
  /** The flush's state changes ('' on an intent): base64 of msgpack [key, value bytes | null][] */
  state_delta: string;
  /** epoch ms; defaults to the insert time */
  written_at?: number;
}

/** A row of `processor_snapshots`: one chunk of a partition's state after flush `seq` (a base: every key; an incremental: the keys changed since the previous snapshot). */
export interface ProcessorSnapshotRow {
  processor: string;
  topic: string;
  partition: number;
  seq: number;
  chunk: number;
  chunks: number;
  /** The base snapshot this one builds on (its own seq for a base). */
  base: number;
  /** base64 of msgpack [key, value bytes | null][] */
  data: string;
  /** epoch ms; defaults to the insert time */
  written_at?: number;
}

/** A row of `forecast_events`: a known day range with its expected volume factor. */
export interface ForecastEventRow {
  name: string;
  /** holiday | festival | campaign | payday | incident | other */
  kind: string;
  /** YYYY-MM-DD, local, inclusive */
  starts: string;
  ends: string;
  /** '' = all */
  business_unit: string;
  channel: string;
  /** 1.8 = +80 %; null = learn it from earlier occurrences */
  uplift: number | null;
  note: string;
  /** epoch ms; defaults to the insert time (the latest row of a key wins) */
  updated_at?: number;
  /** 1 removes the key */
  deleted?: number;
}

/** A row of `forecasts`: one series' forecast of one interval by one run. */
export interface ForecastRow {
  /** epoch ms: when the forecast was available (a backfill: its origin) */
  issued_at: number;
  /** nightly | intraday | backfill | on_demand */
  run: string;
  /** contacts | calls */
  kind: string;
  business_unit: string;
  /** channel (contacts) or queue (calls) */
  segment: string;
  /** primary | baseline */
  role: string;
  model: string;
  /** epoch s: the first interval forecast */
  origin: number;
  /** epoch s */
  interval: number;
  horizon_minutes: number;
  point: number;
  lower: number;
  upper: number;
  level: number;
  note: string;
}

/** A row of `forecast_runs`: what one run issued for one series, and why. */
export interface ForecastRunRow {
  /** epoch ms */
  issued_at: number;
  run: string;
  kind: string;
  business_unit: string;
  segment: string;
  /** epoch s */
  origin: number;
  horizon_intervals: number;
  model: string;
  /** ok | fallback | skipped */
  status: string;
  reason: string;
  history_days: number;
  fit_ms: number;
  /** epoch ms; defaults to the insert time */
  created_at?: number;
}

/**
 * A row of `forecast_accuracy`: one scored day of one series and horizon, as metric sums (a rescore
 * replaces it), always of the day grain; no `flush`: the forecaster writes it, not a processor's flush.
 */
export interface ForecastAccuracyRow extends Omit<MetricSumRow, 'grain' | 'flush'> {
  /** epoch s: the local midnight starting the day */
  bucket: number;
  metric: 'forecast_accuracy_daily' | 'forecast_wape_interval';
  /** the horizon: h1d | h7d, with _baseline for the seasonal-naive baseline */
  product: string;
  model: string;
  /** epoch ms: the scored forecast's issue time */
  issued_at: number;
  /** epoch ms */
  scored_at: number;
}

/** A row of `staffing`: agents required in one interval of one business unit. */
export interface StaffingRow {
  /** epoch ms */
  issued_at: number;
  business_unit: string;
  /** epoch s */
  interval: number;
  calls: number;
  aht_seconds: number;
  /** null for Erlang C */
  patience_seconds: number | null;
  /** erlang_c | erlang_a */
  method: string;
  target_service_level: number;
  target_answer_seconds: number;
  agents_required: number;
  service_level: number;
  abandon_rate: number | null;
  occupancy: number;
}

type RawRowByTable = { [T in Topic as (typeof RAW_TABLES)[T]]: RawEventRow<T> };

/** The row type of every table the pipeline writes, by table name. */
export interface RowByTable extends RawRowByTable {
  contacts_local: ContactRow;
  metric_sums: MetricSumRow;
  dead_letters: DeadLetterRow;
  dead_letter_replays: DeadLetterReplayRow;
  outreach_outcomes: OutreachOutcomeRow;
  processor_log: ProcessorLogRow;
  processor_snapshots: ProcessorSnapshotRow;
  watermarks: WatermarkRow;
  contact_fcr: ContactFcrRow;
  forecast_events: ForecastEventRow;
  forecasts: ForecastRow;
  forecast_runs: ForecastRunRow;
  forecast_accuracy: ForecastAccuracyRow;
  staffing: StaffingRow;
}
export type RowTable = keyof RowByTable;
