INSERT INTO writeback_migrations (id, name, applied_at) VALUES (?, ?, UTC_TIMESTAMP(6))
