-- Dead letters re-published by `npm run dlq -- replay`: one row per replayed dead letter, keyed like
-- cs.dead_letters by the dead letter's own Kafka position, so a replay never publishes it twice.
-- Rows arrive through the dead-letter topic (replay markers, written by the processor's sink).
CREATE TABLE IF NOT EXISTS {{db}}.dead_letter_replays (
  topic LowCardinality(String),
  partition UInt32,
  offset UInt64,
  replay_id String,
  replayed_at DateTime64(3, '{{tz}}')
) ENGINE = ReplacingMergeTree
ORDER BY (topic, partition, offset)
SETTINGS non_replicated_deduplication_window = 1000;
