#!lua flags=allow-oom
-- Records the entry its owner is about to flush alone while looking for one that crashes it
-- (claim.lua): if it crashes again, the next claim finds it named and dead-letters it without
-- flushing it. Only by the partition's owner.
--
-- KEYS[1] lease   KEYS[2] cursor   ARGV[1] token   ARGV[2] the entry's id
-- Returns 1, or 0 when the lease is no longer this thread's.
--!include lease
if leaseHolder(KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], 'suspect', ARGV[2])
return 1
