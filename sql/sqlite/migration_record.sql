INSERT INTO writeback_migrations (id, name, applied_at) VALUES (?1, ?2, ?3)
