-- Deletes tombstones last written more than ? microseconds ago (UTC), at most ? of them:
-- small batches. One statement: InnoDB checks this WHERE on each row as it locks it, the
-- latest version of the row, so a key deleted again while this waited for its lock (a newer
-- tombstone, written now) no longer matches and keeps its tombstone.
DELETE FROM writeback_kv
WHERE value IS NULL AND updated_at < UTC_TIMESTAMP(6) - INTERVAL ? MICROSECOND
LIMIT ?
