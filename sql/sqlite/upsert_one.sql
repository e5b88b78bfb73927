-- One row as plain parameters: a value goes to SQLite as it is. In upsert.sql's JSON array
-- a control character becomes six ("\u0001"), and a bound string past SQLITE_MAX_LENGTH
-- (1,000,000,000 bytes) is refused with SQLITE_TOOBIG: a value of 160 MiB of them could never
-- be written as JSON. The same version guard as upsert.sql.
INSERT INTO writeback_kv (key, value, version, updated_at)
VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (key) DO UPDATE
  SET value = excluded.value, version = excluded.version, updated_at = excluded.updated_at
  WHERE excluded.version > writeback_kv.version
