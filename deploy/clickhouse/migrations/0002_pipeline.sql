-- Dead letters: every event the pipeline refused, with where it came from and its original bytes.
-- Keyed by its Kafka position, so a re-processed batch writes each dead letter once.
CREATE TABLE IF NOT EXISTS {{db}}.dead_letters (
  topic LowCardinality(String),
  partition UInt32,
  offset UInt64,
  reason LowCardinality(String),
  detail String,
  key Nullable(String),
  payload_base64 String,
  payload String ALIAS base64Decode(payload_base64),
  event_id Nullable(String),
  event_time Nullable(DateTime64(3, '{{tz}}')),
  dead_lettered_at DateTime64(3, '{{tz}}')
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(dead_lettered_at)
ORDER BY (topic, partition, offset)
SETTINGS non_replicated_deduplication_window = 1000;

-- Processor write-ahead log: an `intent` row (the flush's offset range and wall-clock time) is written
-- before a flush's inserts, a `done` row (with the state changes) after them. Restoring a partition
-- replays `done` state changes after the latest snapshot and redoes an unfinished intent exactly.
CREATE TABLE IF NOT EXISTS {{db}}.processor_log (
  processor LowCardinality(String),
  topic LowCardinality(String),
  partition UInt32,
  seq UInt64,
  from_offset UInt64,
  to_offset UInt64,
  kind Enum8('intent' = 1, 'done' = 2),
  wall_time Int64,
  idle Bool,
  state_delta String CODEC(ZSTD(3)),
  written_at DateTime64(3) DEFAULT now64(3)
) ENGINE = MergeTree
ORDER BY (processor, topic, partition, seq, kind)
SETTINGS non_replicated_deduplication_window = 1000;

-- Full state snapshots, chunked; a snapshot counts once all its chunks are present. Restoring loads the
-- newest complete snapshot, then the `done` deltas with a higher seq.
CREATE TABLE IF NOT EXISTS {{db}}.processor_snapshots (
  processor LowCardinality(String),
  topic LowCardinality(String),
  partition UInt32,
  seq UInt64,
  chunk UInt32,
  chunks UInt32,
  data String CODEC(ZSTD(3)),
  written_at DateTime64(3) DEFAULT now64(3)
) ENGINE = MergeTree
ORDER BY (processor, topic, partition, seq, chunk)
SETTINGS non_replicated_deduplication_window = 1000;
