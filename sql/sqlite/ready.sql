-- Readiness: the schema is in place.
SELECT COUNT(*) AS ok FROM sqlite_master WHERE type = 'table' AND name = 'writeback_kv'
