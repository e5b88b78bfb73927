-- The persisted version of the keys in the JSON array ?1, tombstones included.
SELECT key, version FROM writeback_kv WHERE key IN (SELECT value FROM json_each(?1))
