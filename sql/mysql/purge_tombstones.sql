-- Deletes tombstones last written more than ? microseconds ago, at most ? of them: small batches.
DELETE FROM writeback_kv
WHERE value IS NULL AND updated_at < NOW(6) - INTERVAL ? MICROSECOND
LIMIT ?
