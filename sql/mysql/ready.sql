-- Readiness: the database answers and the schema is in place.
SELECT COUNT(*) AS ok FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'writeback_kv'
