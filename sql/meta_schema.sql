-- Facts about the deployment that owns this database, e.g. its KEY_PREFIX: two deployments
-- with different Redis prefixes writing one table would overwrite each other's rows.
CREATE TABLE IF NOT EXISTS writeback_meta (
  name  text PRIMARY KEY,
  value text NOT NULL
)
