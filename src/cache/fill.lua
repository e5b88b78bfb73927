#!lua
-- Read-through: puts a value read from the database into the cache, clean (with its TTL),
-- only if Redis has no entry for the key by now. A write (or a delete) that raced the read
-- made an entry, and it must win over the older value read. No allow-oom flag: under
-- maxmemory the fill is refused and the read is answered from the database anyway.
--
-- KEYS[1] cache hash   ARGV[1] value   ARGV[2] version   ARGV[3] TTL in ms (0 = none)
-- Returns 1 if filled, 0 if an entry was there.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'ver', ARGV[2])
if tonumber(ARGV[3]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1
