INSERT INTO writeback_migrations (id, name) VALUES ($1, $2)
