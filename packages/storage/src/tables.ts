// The names of the analytics database's tables and views (SPEC §7), once. The DDL that creates them
// is deploy/clickhouse/migrations (tables) and the catalog's metricsViewSql (cs.metrics).
import type { Topic } from '@cs/schemas';

export const TABLES = {
  rawSessions: 'raw_sessions',
  rawCalls: 'raw_calls',
  rawSurveys: 'raw_surveys',
  rawComplaints: 'raw_complaints',
  rawOutreach: 'raw_outreach',
  rawAgents: 'raw_agents',
  rawQa: 'raw_qa',
  /** One row per contact and version; analysts read the view `contacts`. */
  contactsLocal: 'contacts_local',
  /** View: the latest version of each contact. */
  contacts: 'contacts',
  /** Metric partial sums per grain and bucket (summed; cs.metrics re-sums them). */
  metricSums: 'metric_sums',
  /** View generated from the metric catalog: current figures per grain, with `final`. */
  metrics: 'metrics',
  /** View generated from the metric catalog: per metric, the instant before which every bucket is final. */
  settled: 'settled',
  /** Per processor partition and metric: where its contributions are final (cs.settled reads them). */
  watermarks: 'watermarks',
  /** Each contact's first-contact-resolution state, rewritten when it changes (cs.contacts reads it). */
  contactFcr: 'contact_fcr',
  /** The metric-sum insert tokens that landed (a redo skips them), filled by the view below. */
  flushLedger: 'flush_ledger',
  flushLedgerSums: 'flush_ledger_sums',
  deadLetters: 'dead_letters',
  /** Dead letters re-published by `npm run dlq -- replay` (keyed like dead_letters). */
  deadLetterReplays: 'dead_letter_replays',
  outreachOutcomes: 'outreach_outcomes',
  processorLog: 'processor_log',
  processorSnapshots: 'processor_snapshots',
  /** The event calendar of the volume forecast (analysts insert; the forecaster reads it FINAL). */
  forecastEvents: 'forecast_events',
  /** Every volume forecast issued, never overwritten (services/forecaster). */
  forecasts: 'forecasts',
  /** Per forecasting run and series: the model issued, its status and reason. */
  forecastRuns: 'forecast_runs',
  /** Forecast accuracy sums per day (cs.metrics reads them at the day grain). */
  forecastAccuracy: 'forecast_accuracy',
  /** Agents required per business unit and interval (Erlang C / A). */
  staffing: 'staffing',
  /** Written by @cs/clickhouse's migrate: which migration files are applied. */
  schemaMigrations: 'schema_migrations',
} as const;

export type TableKey = keyof typeof TABLES;
export type TableName = (typeof TABLES)[TableKey];

/** The raw table of each topic: every accepted event with its Kafka position. */
export const RAW_TABLES = {
  'cs.sessions': TABLES.rawSessions,
  'cs.calls': TABLES.rawCalls,
  'cs.surveys': TABLES.rawSurveys,
  'cs.complaints': TABLES.rawComplaints,
  'cs.outreach': TABLES.rawOutreach,
  'cs.agents': TABLES.rawAgents,
  'cs.qa': TABLES.rawQa,
} as const satisfies { [T in Topic]: TableName };
export type RawTableName = (typeof RAW_TABLES)[Topic];

export type QualifiedTables = { readonly [K in TableKey]: `${string}.${(typeof TABLES)[K]}` };

/** Every table of database `db`, qualified for SQL: `tablesIn('cs').deadLetters` is `cs.dead_letters`. */
export function tablesIn(db: string): QualifiedTables {
  return Object.fromEntries(Object.entries(TABLES).map(([key, name]) => [key, `${db}.${name}`])) as QualifiedTables;
}
