-- The processor log is read only after the latest snapshot, and a partition that goes quiet writes
-- a snapshot: rows older than a few days are never needed again.
ALTER TABLE {{db}}.processor_log MODIFY TTL toDateTime(written_at) + INTERVAL 3 DAY;
