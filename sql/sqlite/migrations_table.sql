CREATE TABLE IF NOT EXISTS writeback_migrations (
  id         INTEGER NOT NULL PRIMARY KEY,
  name       TEXT    NOT NULL,
  applied_at INTEGER NOT NULL
)
