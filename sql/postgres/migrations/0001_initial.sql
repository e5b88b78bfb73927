-- The schema of the first release, as it created it on every start (IF NOT EXISTS): a
-- database made by that release takes this migration as already applied.
-- The system of record. fillfactor leaves room on each page so that version updates stay
-- HOT (heap-only tuples: no index write when only value/version/updated_at change).
CREATE TABLE IF NOT EXISTS writeback_kv (
  key        text        PRIMARY KEY,
  value      text        NOT NULL,
  version    bigint      NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 80);

-- Facts about the deployment that owns this database, e.g. its KEY_PREFIX: two deployments
-- with different Redis prefixes writing one table would overwrite each other's rows.
CREATE TABLE IF NOT EXISTS writeback_meta (
  name  text PRIMARY KEY,
  value text NOT NULL
);
