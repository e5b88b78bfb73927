#!lua
-- The fence of a partition, read before a value is read from the database for a cache miss
-- (read-through, or the base of an increment). The value may enter the cache (fill.lua) or
-- be incremented (incr.lua) only if the fence is unchanged by then: a change means some entry
-- of the partition was made clean since (clean.lua), so it may have expired or been evicted
-- while the database was read, taking a newer write's version with it (issue: a read or an
-- increment brought back a deleted value).
-- A missing fence starts at the server's time (include/fence.lua).
--
-- KEYS[1] fence of the key's partition
-- Returns the fence as a string.
--!include fence
local f = redis.call('GET', KEYS[1])
if f then return f end
return fenceStart(KEYS[1])
