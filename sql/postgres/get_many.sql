-- The values of several keys in one query; tombstones read as absent.
SELECT key, value, version::text AS version FROM writeback_kv WHERE key = ANY($1::text[]) AND value IS NOT NULL
