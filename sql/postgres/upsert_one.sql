-- One row as plain parameters, no arrays: a value goes to Postgres as it is. In a text[]
-- array literal the driver doubles every quote and backslash, and postgres.js 3.4.9 on Bun
-- fails (RangeError: Out of memory) once a literal nears 2^29 characters: a value of 256 MiB
-- of backslashes could never be written as an array. The same version guard as upsert.sql.
INSERT INTO writeback_kv AS t (key, value, version, updated_at)
VALUES ($1::text, $2::text, $3::bigint, now())
ON CONFLICT (key) DO UPDATE
  SET value = excluded.value, version = excluded.version, updated_at = excluded.updated_at
  WHERE excluded.version > t.version
