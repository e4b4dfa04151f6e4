-- One row per contact (SPEC §5), rewritten when its facts change; `version` orders the rewrites
-- and the cs.contacts view reads the latest: 1 = provisional (written when ENDED arrives, so live
-- contacts show within seconds), 2 = final (its window closed), 3 = FCR decided.
CREATE TABLE IF NOT EXISTS {{db}}.contacts_local (
  session_id String,
  user_id String,
  business_unit LowCardinality(String),
  product LowCardinality(String),
  channel LowCardinality(String),
  entry LowCardinality(String),
  intent Nullable(String),
  start_time DateTime64(3, '{{tz}}'),
  end_time DateTime64(3, '{{tz}}'),
  ended_by LowCardinality(String),
  duration_seconds Float64,
  self_service_entry Bool,
  transferred Bool,
  self_service Bool,
  online Bool,
  bot_turns UInt32,
  questions_recognized UInt32,
  questions_confirmed UInt32,
  prediction_shown Bool,
  prediction_clicked Bool,
  fcr_state LowCardinality(String),
  final Bool,
  version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(start_time)
ORDER BY (toDate(start_time), session_id)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE VIEW IF NOT EXISTS {{db}}.contacts AS
SELECT * EXCEPT version FROM {{db}}.contacts_local FINAL;

-- Metric partial sums per bucket. Each flush inserts its contributions once (deduplication token per
-- flush and table), so SummingMergeTree sums are exact; cs.metrics re-sums to read final figures.
CREATE TABLE IF NOT EXISTS {{db}}.metric_sums_minute (
  bucket DateTime('{{tz}}'),
  metric LowCardinality(String),
  business_unit LowCardinality(String),
  product LowCardinality(String),
  channel LowCardinality(String),
  numerator Float64,
  denominator Float64
) ENGINE = SummingMergeTree((numerator, denominator))
PARTITION BY toYYYYMM(bucket)
ORDER BY (metric, bucket, business_unit, product, channel)
TTL bucket + INTERVAL 35 DAY
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS {{db}}.metric_sums_hour AS {{db}}.metric_sums_minute
ENGINE = SummingMergeTree((numerator, denominator))
PARTITION BY toYYYYMM(bucket)
ORDER BY (metric, bucket, business_unit, product, channel)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS {{db}}.metric_sums_day AS {{db}}.metric_sums_minute
ENGINE = SummingMergeTree((numerator, denominator))
PARTITION BY toYYYYMM(bucket)
ORDER BY (metric, bucket, business_unit, product, channel)
SETTINGS non_replicated_deduplication_window = 1000;
