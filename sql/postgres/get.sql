-- A key's value; a tombstone (a deleted key) reads as absent.
SELECT value, version::text AS version FROM writeback_kv WHERE key = $1 AND value IS NOT NULL
