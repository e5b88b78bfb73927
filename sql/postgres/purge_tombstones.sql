-- Deletes up to $2 tombstones last written before now() - $1 milliseconds. Small batches, so
-- a purge never holds many row locks or runs long beside the flushes.
DELETE FROM writeback_kv
WHERE key IN (
  SELECT key FROM writeback_kv
  WHERE value IS NULL AND updated_at < now() - make_interval(secs => $1::bigint / 1000.0)
  LIMIT $2
)
AND value IS NULL
