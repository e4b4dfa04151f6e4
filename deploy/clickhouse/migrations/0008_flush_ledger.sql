-- Redo safety whatever the deduplication window (issue 11). A redo after a takeover can come later
-- than the last `non_replicated_deduplication_window` inserts of a table, when the insert token of
-- the flush it repeats is forgotten. The metric sums are the one non-idempotent write (summing
-- partial sums), so each of their rows names its flush, and a materialized view records, in the
-- same insert, that the flush's block landed; a redo skips the tables its flush already wrote.
CREATE TABLE IF NOT EXISTS {{db}}.flush_ledger (
  token String,
  rows UInt64,
  written_at DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree
ORDER BY token
TTL written_at + INTERVAL 7 DAY;

ALTER TABLE {{db}}.metric_sums_minute ADD COLUMN IF NOT EXISTS flush LowCardinality(String) DEFAULT '';
ALTER TABLE {{db}}.metric_sums_hour ADD COLUMN IF NOT EXISTS flush LowCardinality(String) DEFAULT '';
ALTER TABLE {{db}}.metric_sums_day ADD COLUMN IF NOT EXISTS flush LowCardinality(String) DEFAULT '';

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.flush_ledger_minute TO {{db}}.flush_ledger AS
SELECT flush AS token, count() AS rows FROM {{db}}.metric_sums_minute WHERE flush != '' GROUP BY flush;
CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.flush_ledger_hour TO {{db}}.flush_ledger AS
SELECT flush AS token, count() AS rows FROM {{db}}.metric_sums_hour WHERE flush != '' GROUP BY flush;
CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.flush_ledger_day TO {{db}}.flush_ledger AS
SELECT flush AS token, count() AS rows FROM {{db}}.metric_sums_day WHERE flush != '' GROUP BY flush;
