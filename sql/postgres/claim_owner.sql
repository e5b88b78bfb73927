-- Records $1 as the owning KEY_PREFIX unless one is recorded; returns the owner either way.
WITH claimed AS (
  INSERT INTO writeback_meta (name, value) VALUES ('key_prefix', $1)
  ON CONFLICT (name) DO NOTHING
  RETURNING value
)
SELECT value FROM claimed
UNION ALL
SELECT value FROM writeback_meta WHERE name = 'key_prefix'
LIMIT 1
