SELECT id, name FROM writeback_migrations ORDER BY id
