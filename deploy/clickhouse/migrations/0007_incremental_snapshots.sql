-- Snapshots are incremental: a base holds every key, each later snapshot the keys changed since the
-- previous one; `base` names the base snapshot a row builds on (its own seq for a base). Rows written
-- before this column existed were full snapshots.
ALTER TABLE {{db}}.processor_snapshots ADD COLUMN IF NOT EXISTS base UInt64 DEFAULT seq AFTER chunks;
