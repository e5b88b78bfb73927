INSERT INTO writeback_migrations (id, name) VALUES (?, ?)
