#!lua flags=allow-oom
-- The heartbeat of a consumer name: one key per name, holding the id of the live instance
-- that consumes under it until a time the holder keeps renewing. Taking or renewing it
-- succeeds only if nobody else holds it, so two live instances never consume under one name.
-- The expiry is in the value (include/lease.lua), not the TTL: a key with a 3 s TTL is the
-- first a volatile-ttl policy evicts when Redis is full, and a second instance could then take
-- the name of a live one (and its partitions, as an earlier life's: claim.lua). The key keeps a
-- TTL of ARGV[3], long and renewed every second, only so that the key of an instance killed
-- for good (a pod with a random host name) goes away: it outlasts the clean cache entries'
-- under volatile-ttl, and a key used every second is the last volatile-lru/lfu would pick.
-- allow-oom: a tiny key, and the holder must be able to keep it when Redis is full.
--
-- KEYS[1] the name's key   ARGV[1] this instance's id   ARGV[2] TTL in ms (0: release)
-- ARGV[3] how long the key itself is kept after the last renewal, ms
-- Returns 1 when this instance holds (or released) it, 0 when another instance holds it.
--!include lease
local current = leaseHolder(KEYS[1])
if current and current ~= ARGV[1] then return 0 end
if tonumber(ARGV[2]) == 0 then
  if current then redis.call('DEL', KEYS[1]) end
else
  setLease(KEYS[1], ARGV[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 1
