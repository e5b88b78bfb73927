#!lua flags=allow-oom
-- Gives partitions back (a drained stop, or another consumer should own them now), each only
-- if this thread still holds it. A released partition is not a crash: its next claim does not
-- count a try (claim.lua), and the entry it was flushing alone (suspect.lua) did not crash it,
-- so it is no longer named: the next owner flushes it instead of dead-lettering it.
-- allow-oom: stopping must work when Redis is full.
--
-- KEYS[1..2n] the lease and the cursor of each partition, in pairs   ARGV[1..n] the token of each
-- Returns how many were released.
--!include lease
local released = 0
for i = 1, #ARGV do
  local lease, cursor = KEYS[2 * i - 1], KEYS[2 * i]
  if leaseHolder(lease) == ARGV[i] then
    redis.call('DEL', lease)
    redis.call('HSET', cursor, 'held', '0', 'suspect', '')
    released = released + 1
  end
end
return released
