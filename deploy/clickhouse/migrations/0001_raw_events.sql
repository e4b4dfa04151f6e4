-- Raw events, one table per Kafka topic, as accepted by the processors (valid, not late).
-- ReplacingMergeTree on the sort key that ends with event_id: a redelivered event collapses into one row.
-- Monthly partitions, sorted by day then id (Plausible-style: few tables, obvious keys).
CREATE DATABASE IF NOT EXISTS {{db}};

CREATE TABLE IF NOT EXISTS {{db}}.raw_sessions (
  event_id String,
  event_time DateTime64(3, '{{tz}}'),
  business_unit LowCardinality(String),
  product LowCardinality(String),
  type LowCardinality(String),
  session_id String,
  user_id String,
  channel LowCardinality(String),
  entry LowCardinality(Nullable(String)),
  intent Nullable(String),
  agent_id Nullable(String),
  kafka_partition UInt32,
  kafka_offset UInt64
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (toDate(event_time), event_id)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS {{db}}.raw_calls (
  event_id String,
  event_time DateTime64(3, '{{tz}}'),
  business_unit LowCardinality(String),
  product LowCardinality(String),
  type LowCardinality(String),
  call_id String,
  session_id Nullable(String),
  user_id String,
  queue LowCardinality(String),
  agent_id Nullable(String),
  site_type LowCardinality(Nullable(String)),
  wait_ms Nullable(Int64),
  talk_ms Nullable(Int64),
  hold_ms Nullable(Int64),
  acw_ms Nullable(Int64),
  kafka_partition UInt32,
  kafka_offset UInt64
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (toDate(event_time), event_id)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS {{db}}.raw_surveys (
  event_id String,
  event_time DateTime64(3, '{{tz}}'),
  business_unit LowCardinality(String),
  product LowCardinality(String),
  type LowCardinality(String),
  survey_id String,
  contact_id String,
  user_id String,
  channel LowCardinality(String),
  handled_by LowCardinality(String),
  score Int32,
  valid Bool,
  kafka_partition UInt32,
  kafka_offset UInt64
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (toDate(event_time), event_id)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS {{db}}.raw_complaints (
  event_id String,
  event_time DateTime64(3, '{{tz}}'),
  business_unit LowCardinality(String),
  product LowCardinality(String),
  type LowCardinality(String),
  complaint_id String,
  user_id String,
  contact_id Nullable(String),
  channel LowCardinality(String),
  category LowCardinality(String),
  external Bool,
  kafka_partition UInt32,
  kafka_offset UInt64
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (toDate(event_time), event_id)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS {{db}}.raw_outreach (
  event_id String,
  event_time DateTime64(3, '{{tz}}'),
  business_unit LowCardinality(String),
  product LowCardinality(String),
  type LowCardinality(String),
  outreach_id Nullable(String),
  user_id String,
  campaign LowCardinality(String),
  channel LowCardinality(String),
  kafka_partition UInt32,
  kafka_offset UInt64
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (toDate(event_time), event_id)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS {{db}}.raw_agents (
  event_id String,
  event_time DateTime64(3, '{{tz}}'),
  business_unit LowCardinality(String),
  product LowCardinality(String),
  type LowCardinality(String),
  agent_id String,
  site_type LowCardinality(String),
  kafka_partition UInt32,
  kafka_offset UInt64
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (toDate(event_time), event_id)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS {{db}}.raw_qa (
  event_id String,
  event_time DateTime64(3, '{{tz}}'),
  business_unit LowCardinality(String),
  product LowCardinality(String),
  type LowCardinality(String),
  review_id String,
  contact_id String,
  agent_id String,
  channel LowCardinality(String),
  score Int32,
  passed Bool,
  kafka_partition UInt32,
  kafka_offset UInt64
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (toDate(event_time), event_id)
SETTINGS non_replicated_deduplication_window = 1000;
