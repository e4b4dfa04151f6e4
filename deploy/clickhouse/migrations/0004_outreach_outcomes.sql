-- One row per decided proactive outreach (SPEC §6 outreach_retention_rate): its outcome within
-- CS_RETENTION_WINDOW, for retention by campaign. Written once, when the outreach is decided.
CREATE TABLE IF NOT EXISTS {{db}}.outreach_outcomes (
  outreach_id String,
  user_id String,
  business_unit LowCardinality(String),
  product LowCardinality(String),
  channel LowCardinality(String),
  campaign LowCardinality(String),
  contacted_at DateTime64(3, '{{tz}}'),
  outcome LowCardinality(String),
  outcome_at Nullable(DateTime64(3, '{{tz}}')),
  retained Bool
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(contacted_at)
ORDER BY (toDate(contacted_at), outreach_id)
SETTINGS non_replicated_deduplication_window = 1000;
