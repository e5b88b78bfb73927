#!lua flags=allow-oom
-- The heartbeat of a consumer name: one key per name, holding the id of the live instance
-- that consumes under it until a time the holder keeps renewing. Taking or renewing it
-- succeeds only if nobody else holds it, so two live instances never consume under one name.
-- The expiry is in the value (include/lease.lua), not a TTL: a key with a TTL may be evicted
-- under a volatile-* policy when Redis is full, and a second instance could then take the
-- name of a live one (and its partitions, as an earlier life's: claim.lua).
-- allow-oom: a tiny key, and the holder must be able to keep it when Redis is full.
--
-- KEYS[1] the name's key   ARGV[1] this instance's id   ARGV[2] TTL in ms (0: release)
-- Returns 1 when this instance holds (or released) it, 0 when another instance holds it.
--!include lease
local current = leaseHolder(KEYS[1])
if current and current ~= ARGV[1] then return 0 end
if tonumber(ARGV[2]) == 0 then
  if current then redis.call('DEL', KEYS[1]) end
else
  setLease(KEYS[1], ARGV[1], ARGV[2])
end
return 1
