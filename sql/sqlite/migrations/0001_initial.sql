-- The system of record in one SQLite file. TEXT keys compare with the BINARY collation
-- (memcmp of UTF-8: 'a' <> 'A', 'ss' <> 'ß', 'a' <> 'a '). NULL value is a tombstone (a
-- deleted key, kept with its version so older writes cannot bring it back). updated_at is
-- Unix milliseconds.
CREATE TABLE IF NOT EXISTS writeback_kv (
  key        TEXT    NOT NULL PRIMARY KEY,
  value      TEXT,
  version    INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS writeback_kv_tombstones ON writeback_kv (updated_at) WHERE value IS NULL;

-- Facts about the deployment that owns this database, e.g. its KEY_PREFIX.
CREATE TABLE IF NOT EXISTS writeback_meta (
  name  TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL
);
