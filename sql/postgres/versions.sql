-- The persisted version of several keys, deletes (tombstones) included: how far the database is.
SELECT key, version::text AS version FROM writeback_kv WHERE key = ANY($1::text[])
