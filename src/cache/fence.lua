#!lua
-- The fence of a partition, read before a value is read from the database for a cache miss
-- (read-through, or the base of an increment). The value may enter the cache (fill.lua) or
-- be incremented (incr.lua) only if the fence is unchanged by then: a change means some entry
-- of the partition was made clean since (clean.lua), so it may have expired or been evicted
-- while the database was read, taking a newer write's version with it (issue: a read or an
-- increment brought back a deleted value).
--
-- A missing fence (a new deployment, or Redis lost its data) starts at the server's time in
-- microseconds rather than at nothing: after a loss it is then unlike any value read before
-- the loss (clean.lua only adds to it), so a read that straddles the loss cannot fill.
--
-- KEYS[1] fence of the key's partition
-- Returns the fence as a string.
local f = redis.call('GET', KEYS[1])
if f then return f end
local t = redis.call('TIME')
f = t[1] .. string.format('%06d', tonumber(t[2]))
redis.call('SET', KEYS[1], f)
return f
