-- Deletes at most ?2 tombstones last written before ?1 (Unix ms): small batches.
DELETE FROM writeback_kv
WHERE key IN (SELECT key FROM writeback_kv WHERE value IS NULL AND updated_at < ?1 LIMIT ?2)
