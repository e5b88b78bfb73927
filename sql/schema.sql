-- The system of record. fillfactor leaves room on each page so that version updates stay
-- HOT (heap-only tuples: no index write when only value/version/updated_at change).
CREATE TABLE IF NOT EXISTS writeback_kv (
  key        text        PRIMARY KEY,
  value      text        NOT NULL,
  version    bigint      NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 80)
