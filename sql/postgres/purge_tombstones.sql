-- Deletes up to $2 tombstones last written before now() - $1 milliseconds. Small batches, so
-- a purge never holds many row locks or runs long beside the flushes.
-- Only the tombstones it selected, at the version it selected: a flush that deletes the key
-- again (a newer tombstone) while this waits for the row lock commits first, and Postgres
-- then re-checks this WHERE on the new row, whose version differs: the new tombstone stays.
-- (Re-checking only "value IS NULL" removed it, and an older write could bring the key back.)
DELETE FROM writeback_kv AS t
USING (
  SELECT key, version FROM writeback_kv
  WHERE value IS NULL AND updated_at < now() - make_interval(secs => $1::bigint / 1000.0)
  LIMIT $2
) AS old
WHERE t.key = old.key AND t.version = old.version AND t.value IS NULL
