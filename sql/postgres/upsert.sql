-- One statement per batch: the coalesced rows arrive as three parallel arrays, sorted by key
-- so that concurrent flushers take row locks in the same order and cannot deadlock.
-- The version guard makes replays, reclaimed entries and re-driven dead letters harmless:
-- a row never moves to an older or equal version.
INSERT INTO writeback_kv AS t (key, value, version, updated_at)
SELECT u.key, u.value, u.version, now()
FROM unnest($1::text[], $2::text[], $3::bigint[]) AS u(key, value, version)
ORDER BY u.key
ON CONFLICT (key) DO UPDATE
  SET value = excluded.value, version = excluded.version, updated_at = excluded.updated_at
  WHERE excluded.version > t.version
