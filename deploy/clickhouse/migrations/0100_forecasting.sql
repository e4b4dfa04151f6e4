-- Volume forecast and staffing (SPEC §9), written by services/forecaster.

-- The event calendar the forecast uses: known days with an expected volume factor. Analysts edit it
-- with INSERT: a row with the same (name, starts, business_unit, channel) and a later updated_at
-- replaces the earlier one; deleted = 1 removes it. Dates are local days in CS_TIMEZONE, inclusive;
-- business_unit / channel '' = all; uplift NULL = a known day whose effect the forecaster learns
-- from earlier occurrences of the same name. Read it with FINAL.
CREATE TABLE IF NOT EXISTS {{db}}.forecast_events (
  name String,
  kind LowCardinality(String),
  starts Date,
  ends Date,
  business_unit LowCardinality(String) DEFAULT '',
  channel LowCardinality(String) DEFAULT '',
  uplift Nullable(Float64),
  note String DEFAULT '',
  updated_at DateTime64(3, 'UTC') DEFAULT now64(3),
  deleted UInt8 DEFAULT 0
) ENGINE = ReplacingMergeTree(updated_at, deleted)
ORDER BY (name, starts, business_unit, channel);

-- Every forecast ever issued, never overwritten: one row per series, interval and role ('primary' =
-- the issued forecast, 'baseline' = the seasonal-naive forecast beside it). issued_at: when the
-- forecast was available (for a backfill, its as-of time); origin: the first interval forecast (the
-- forecast used only data before it); horizon_minutes: interval − origin.
CREATE TABLE IF NOT EXISTS {{db}}.forecasts (
  issued_at DateTime64(3, '{{tz}}'),
  run LowCardinality(String),
  kind LowCardinality(String),
  business_unit LowCardinality(String),
  segment LowCardinality(String),
  role LowCardinality(String),
  model LowCardinality(String),
  origin DateTime('{{tz}}'),
  interval DateTime('{{tz}}'),
  horizon_minutes UInt32,
  point Float64,
  lower Float64,
  upper Float64,
  level Float32,
  note String
) ENGINE = MergeTree
PARTITION BY toYYYYMM(interval)
ORDER BY (kind, business_unit, segment, interval, issued_at, role)
SETTINGS non_replicated_deduplication_window = 1000;

-- One row per series and run: which model was issued and why (a fallback or a skip says so here and
-- in cs.forecasts.model / note).
CREATE TABLE IF NOT EXISTS {{db}}.forecast_runs (
  issued_at DateTime64(3, '{{tz}}'),
  run LowCardinality(String),
  kind LowCardinality(String),
  business_unit LowCardinality(String),
  segment LowCardinality(String),
  origin DateTime('{{tz}}'),
  horizon_intervals UInt32,
  model LowCardinality(String),
  status LowCardinality(String),
  reason String,
  history_days Float64,
  fit_ms Float64,
  created_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = MergeTree
PARTITION BY toYYYYMM(issued_at)
ORDER BY (issued_at, kind, business_unit, segment)
SETTINGS non_replicated_deduplication_window = 1000;

-- Forecast accuracy as metric sums (catalog metrics forecast_accuracy_daily, forecast_wape_interval),
-- one row per scored day, business unit, channel and horizon (product = 'h1d' | 'h7d', with
-- '_baseline' for the seasonal-naive baseline); rescoring a day replaces its row. The cs.metrics view
-- reads it at the day grain (its `final` comes from cs.settled, as the contacts of the day settle).
CREATE TABLE IF NOT EXISTS {{db}}.forecast_accuracy (
  bucket DateTime('{{tz}}'),
  metric LowCardinality(String),
  business_unit LowCardinality(String),
  product LowCardinality(String),
  channel LowCardinality(String),
  numerator Float64,
  denominator Float64,
  model LowCardinality(String),
  issued_at DateTime64(3, '{{tz}}'),
  scored_at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(scored_at)
PARTITION BY toYYYYMM(bucket)
ORDER BY (metric, bucket, business_unit, product, channel);

-- Agents required per business unit and interval for the target service level, from the calls
-- forecast and human AHT (Erlang C, or Erlang A where abandonment is known).
CREATE TABLE IF NOT EXISTS {{db}}.staffing (
  issued_at DateTime64(3, '{{tz}}'),
  business_unit LowCardinality(String),
  interval DateTime('{{tz}}'),
  calls Float64,
  aht_seconds Float64,
  patience_seconds Nullable(Float64),
  method LowCardinality(String),
  target_service_level Float64,
  target_answer_seconds Float64,
  agents_required UInt32,
  service_level Float64,
  abandon_rate Nullable(Float64),
  occupancy Float64
) ENGINE = MergeTree
PARTITION BY toYYYYMM(interval)
ORDER BY (business_unit, interval, issued_at)
SETTINGS non_replicated_deduplication_window = 1000;
