-- Readiness: the database answers and the schema is in place.
SELECT to_regclass('writeback_kv') IS NOT NULL AS ok
