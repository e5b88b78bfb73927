#!lua flags=allow-oom
-- The live consumers (flusher threads) of a deployment, as one sorted set scored by when each
-- lapses (Redis's clock, so hosts' clocks do not matter). A thread calls this on every tick:
-- it renews itself (or leaves, with TTL 0), drops the lapsed, and learns who is alive, which
-- decides the partitions it should own (partitions.ts). allow-oom: a tiny write, and a full
-- Redis must still be drained.
--
-- KEYS[1] members   ARGV[1] this consumer   ARGV[2] TTL in ms (0: leave)
-- Returns the live consumers, sorted by name.
--!include lease
local now = leaseNowMs()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local ttl = tonumber(ARGV[2])
if ttl > 0 then
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
else
  redis.call('ZREM', KEYS[1], ARGV[1])
end
local live = redis.call('ZRANGE', KEYS[1], 0, -1)
table.sort(live)
return live
