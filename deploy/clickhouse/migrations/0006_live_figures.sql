-- Live, then exact (SPEC §4, §7): contributions are written as they happen and retracted when they
-- change; what is final comes from the processors' watermarks.

-- An idle flush advances a partition's stream time to this instant (the pipeline-wide stream time,
-- or the wall clock once every partition is idle); logged with its intent so a redo does the same.
ALTER TABLE {{db}}.processor_log ADD COLUMN IF NOT EXISTS advance_to Nullable(Int64) AFTER idle;

-- Per processor group, partition and metric: no accepted or future event of that partition can
-- change the metric's contributions before `settled_before`. Written in the same flush as the
-- figures it describes; cs.settled and cs.metrics.final read the latest row of each partition.
CREATE TABLE IF NOT EXISTS {{db}}.watermarks (
  processor LowCardinality(String),
  prefix LowCardinality(String),
  topic LowCardinality(String),
  logical_topic LowCardinality(String),
  partition UInt32,
  partitions UInt32,
  metric LowCardinality(String),
  settled_before DateTime64(3, '{{tz}}'),
  stream_time DateTime64(3, '{{tz}}'),
  seq UInt64,
  flushed_at DateTime64(3, '{{tz}}')
) ENGINE = ReplacingMergeTree(seq)
ORDER BY (processor, prefix, topic, partition, metric)
SETTINGS non_replicated_deduplication_window = 1000;

-- A contact's first-contact-resolution state, written whenever its decision changes (a repeat
-- contact decides at once, the window's end otherwise); cs.contacts reads the latest.
CREATE TABLE IF NOT EXISTS {{db}}.contact_fcr (
  session_id String,
  start_time DateTime64(3, '{{tz}}'),
  fcr_state LowCardinality(String),
  version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(start_time)
ORDER BY (toDate(start_time), session_id)
SETTINGS non_replicated_deduplication_window = 1000;

-- contacts_local rows are upserted with a version that orders every rewrite of a contact.
CREATE OR REPLACE VIEW {{db}}.contacts AS
SELECT c.session_id AS session_id, c.user_id AS user_id, c.business_unit AS business_unit, c.product AS product,
       c.channel AS channel, c.entry AS entry, c.intent AS intent, c.start_time AS start_time, c.end_time AS end_time,
       c.ended_by AS ended_by, c.duration_seconds AS duration_seconds, c.self_service_entry AS self_service_entry,
       c.transferred AS transferred, c.self_service AS self_service, c.online AS online, c.bot_turns AS bot_turns,
       c.questions_recognized AS questions_recognized, c.questions_confirmed AS questions_confirmed,
       c.prediction_shown AS prediction_shown, c.prediction_clicked AS prediction_clicked,
       if(f.session_id = '', c.fcr_state, f.fcr_state) AS fcr_state, c.final AS final
FROM {{db}}.contacts_local AS c FINAL
LEFT JOIN (SELECT session_id, argMax(fcr_state, version) AS fcr_state FROM {{db}}.contact_fcr GROUP BY session_id) AS f
  ON f.session_id = c.session_id;

-- Outcome rows are written when an outreach is decided (live) and rewritten when it changes or settles.
ALTER TABLE {{db}}.outreach_outcomes ADD COLUMN IF NOT EXISTS final Bool DEFAULT true;
ALTER TABLE {{db}}.outreach_outcomes ADD COLUMN IF NOT EXISTS version UInt64 DEFAULT 0;
