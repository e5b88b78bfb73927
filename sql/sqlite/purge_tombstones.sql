-- Deletes at most ?2 tombstones last written before ?1 (Unix ms): small batches. The outer
-- WHERE checks each row again, so only a tombstone still as old as when it was selected goes.
-- (One statement holds SQLite's write lock from its first read to its commit: no flush can
-- write in between; the check keeps the purge right if that ever changes.)
DELETE FROM writeback_kv
WHERE key IN (SELECT key FROM writeback_kv WHERE value IS NULL AND updated_at < ?1 LIMIT ?2)
  AND value IS NULL AND updated_at < ?1
