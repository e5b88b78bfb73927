-- KEYS stands for "?, ?, ...", one per key.
SELECT `key`, value, version FROM writeback_kv WHERE `key` IN (KEYS) AND value IS NOT NULL
