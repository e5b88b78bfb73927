-- The values of the keys in the JSON array ?1; tombstones read as absent.
SELECT key, value, version FROM writeback_kv WHERE key IN (SELECT value FROM json_each(?1)) AND value IS NOT NULL
