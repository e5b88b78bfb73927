-- Deletes: a deleted key keeps its row with no value (a tombstone) and the delete's version,
-- so the version guard keeps older writes (replays, reclaimed entries, re-driven dead
-- letters) from bringing it back. Tombstones older than TOMBSTONE_RETENTION_MS are purged in
-- small batches, found through this partial index (only tombstones are in it).
ALTER TABLE writeback_kv ALTER COLUMN value DROP NOT NULL;
CREATE INDEX IF NOT EXISTS writeback_kv_tombstones ON writeback_kv (updated_at) WHERE value IS NULL;
