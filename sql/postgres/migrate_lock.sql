-- Serializes schema creation between instances starting at once (released at commit).
-- The key is an arbitrary constant: hashtext('writeback schema').
SELECT pg_advisory_xact_lock(hashtext('writeback schema'))
