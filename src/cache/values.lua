#!lua flags=no-writes,allow-oom
-- The current value and version of each key a batch of stream entries names: a write's entry
-- carries no value (entry.ts), the key's cache hash holds it, at the entry's version or a newer
-- one, until that is persisted. Read-only; allow-oom so a full Redis can still be drained.
--
-- KEYS[1..n] cache hash of each key
-- Returns v1, ver1, v2, ver2, ...: nil for a field the hash lacks (no v: a tombstone; no ver:
-- no hash at all).
local out = {}
for i = 1, #KEYS do
  local r = redis.call('HMGET', KEYS[i], 'v', 'ver')
  out[2 * i - 1] = r[1]
  out[2 * i] = r[2]
end
return out
