SELECT value, version FROM writeback_kv WHERE key = ?1 AND value IS NOT NULL
