-- The persisted version of several keys, tombstones included. KEYS stands for "?, ?, ...".
SELECT `key`, version FROM writeback_kv WHERE `key` IN (KEYS)
