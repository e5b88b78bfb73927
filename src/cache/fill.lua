#!lua
-- Read-through: puts a value read from the database into the cache, clean (with its TTL),
-- only if (1) Redis has no entry for the key by now: a write (or a delete) that raced the read
-- made one, and it must win over the older value read; and (2) the partition's fence is the
-- one read before the database was (fence.lua): otherwise an entry of the partition was made
-- clean meanwhile and may have expired or been evicted, taking a write newer than the value
-- read with it. No allow-oom flag: under maxmemory the fill is refused and the read is
-- answered from the database anyway.
--
-- KEYS[1] cache hash   KEYS[2] fence of its partition
-- ARGV[1] value   ARGV[2] version   ARGV[3] TTL in ms (0 = none)   ARGV[4] fence read before the database
-- Returns 1 if filled, 0 if not.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('GET', KEYS[2]) ~= ARGV[4] then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'ver', ARGV[2])
if tonumber(ARGV[3]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1
