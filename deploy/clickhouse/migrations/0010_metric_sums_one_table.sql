-- One metric-sums table with a grain column instead of one table per grain (issue 8, freshness).
-- A flush wrote its sums as three inserts of their own (one per grain table), 36 of a tick's ~50
-- inserts with 12 partitions; now it writes one, with one token. Same columns, same summing; the
-- minute grain keeps its 35-day TTL through a TTL ... WHERE.
CREATE TABLE IF NOT EXISTS {{db}}.metric_sums (
  grain LowCardinality(String),
  bucket DateTime('{{tz}}'),
  metric LowCardinality(String),
  business_unit LowCardinality(String),
  product LowCardinality(String),
  channel LowCardinality(String),
  numerator Float64,
  denominator Float64,
  flush LowCardinality(String) DEFAULT ''
) ENGINE = SummingMergeTree((numerator, denominator))
PARTITION BY toYYYYMM(bucket)
ORDER BY (grain, metric, bucket, business_unit, product, channel)
TTL bucket + INTERVAL 35 DAY DELETE WHERE grain = 'minute'
SETTINGS non_replicated_deduplication_window = 1000;

-- Re-runnable: a run that stopped after a drop below finds an empty stand-in for the dropped table,
-- and each grain is copied only while metric_sums holds none of it (processors write only after
-- migrations). The ledger's view on metric_sums is created after the copy: the copied rows' tokens
-- are in flush_ledger already.
CREATE TABLE IF NOT EXISTS {{db}}.metric_sums_minute (bucket DateTime('{{tz}}'), metric String, business_unit String, product String, channel String, numerator Float64, denominator Float64, flush String) ENGINE = MergeTree ORDER BY tuple();
CREATE TABLE IF NOT EXISTS {{db}}.metric_sums_hour AS {{db}}.metric_sums_minute;
CREATE TABLE IF NOT EXISTS {{db}}.metric_sums_day AS {{db}}.metric_sums_minute;

INSERT INTO {{db}}.metric_sums
SELECT 'minute', bucket, metric, business_unit, product, channel, numerator, denominator, flush FROM {{db}}.metric_sums_minute
WHERE (SELECT count() FROM {{db}}.metric_sums WHERE grain = 'minute') = 0;
INSERT INTO {{db}}.metric_sums
SELECT 'hour', bucket, metric, business_unit, product, channel, numerator, denominator, flush FROM {{db}}.metric_sums_hour
WHERE (SELECT count() FROM {{db}}.metric_sums WHERE grain = 'hour') = 0;
INSERT INTO {{db}}.metric_sums
SELECT 'day', bucket, metric, business_unit, product, channel, numerator, denominator, flush FROM {{db}}.metric_sums_day
WHERE (SELECT count() FROM {{db}}.metric_sums WHERE grain = 'day') = 0;

-- cs.metrics read the old tables; prepareStorage re-creates it from the catalog after migrations.
-- SYNC: dropped at once, not queued for the Atomic database's delayed removal (a store with tables
-- queued that way could hang in its exit).
DROP VIEW IF EXISTS {{db}}.metrics;
DROP VIEW IF EXISTS {{db}}.flush_ledger_minute;
DROP VIEW IF EXISTS {{db}}.flush_ledger_hour;
DROP VIEW IF EXISTS {{db}}.flush_ledger_day;
DROP TABLE IF EXISTS {{db}}.metric_sums_minute SYNC;
DROP TABLE IF EXISTS {{db}}.metric_sums_hour SYNC;
DROP TABLE IF EXISTS {{db}}.metric_sums_day SYNC;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.flush_ledger_sums TO {{db}}.flush_ledger AS
SELECT flush AS token, count() AS rows FROM {{db}}.metric_sums WHERE flush != '' GROUP BY flush;
