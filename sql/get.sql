SELECT value, version::text AS version FROM writeback_kv WHERE key = $1
