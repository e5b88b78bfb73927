-- One statement per batch: the rows arrive as one JSON array of [key, value, version] (value
-- null for a delete), sorted by key. The version guard: a row never moves to an older or equal
-- version. ("WHERE true" lets SQLite parse ON CONFLICT after INSERT ... SELECT.)
INSERT INTO writeback_kv (key, value, version, updated_at)
SELECT json_extract(r.value, '$[0]'), json_extract(r.value, '$[1]'), json_extract(r.value, '$[2]'), ?2
FROM json_each(?1) AS r
WHERE true
ON CONFLICT (key) DO UPDATE
  SET value = excluded.value, version = excluded.version, updated_at = excluded.updated_at
  WHERE excluded.version > writeback_kv.version
