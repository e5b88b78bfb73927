-- A key's value; a tombstone reads as absent.
SELECT value, version FROM writeback_kv WHERE `key` = ? AND value IS NOT NULL
