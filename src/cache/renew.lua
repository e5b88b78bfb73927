#!lua flags=allow-oom
-- Renews the leases this thread holds (claim.lua), each only if it still holds it: a lease
-- that lapsed and was claimed by another consumer is gone for good for this thread.
-- allow-oom: an owner must keep its partitions while it drains a full Redis.
--
-- KEYS[1..n] leases   ARGV[1] TTL ms   ARGV[2..n+1] the token of each
-- Returns 1 (still held) or 0 (lost) per lease, in order.
--!include lease
local out = {}
for i = 1, #KEYS do
  if leaseHolder(KEYS[i]) == ARGV[i + 1] then
    setLease(KEYS[i], ARGV[i + 1], ARGV[1])
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
