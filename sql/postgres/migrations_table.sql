-- Which numbered migrations (sql/migrations/NNNN_*.sql) this database has had, and when.
CREATE TABLE IF NOT EXISTS writeback_migrations (
  id         integer     PRIMARY KEY,
  name       text        NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)
