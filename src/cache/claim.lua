#!lua flags=allow-oom
-- Takes partition p's lease, so that this thread alone consumes its stream, from the cursor
-- (the last id committed to the database). Refused while another consumer holds it, except an
-- earlier life of this one (include/lease.lua: its thread died and was replaced, or its
-- instance was killed and restarted) is taken at once rather than after it lapses.
--
-- Every claim bumps the epoch, which is part of the lease's token: a stalled owner that wakes
-- up after its lease lapsed holds an old token and can no longer commit (commit.lua).
-- A claim of a partition whose previous owner never released it (it crashed, or stalled past
-- its lease) counts one more try of the entries after the cursor; a claim that finds nothing
-- after the cursor clears the count. The caller flushes one entry at a time once the tries pass
-- FLUSH_MAX_DELIVERIES, up to `reach`, the stream's last id now (no entry after it can have been
-- read by the owners that crashed).
--
-- The consumer group of the releases before leases (ARGV[5]) is removed from the stream once
-- none of its consumers was active for ARGV[6] ms: its entries are read from the cursor anyway.
-- allow-oom: a flusher must be able to start, and drain, when Redis is full.
--
-- KEYS[1] lease   KEYS[2] cursor   KEYS[3] stream
-- ARGV[1] consumer (`<CONSUMER_NAME>-<thread>`)   ARGV[2] CONSUMER_NAME   ARGV[3] this process's id
-- ARGV[4] lease TTL ms   ARGV[5] old group   ARGV[6] idle ms
-- The token is `<epoch>:<process id>:<consumer>`.
-- Returns false when another consumer holds it, else {token, cursor id, tries, suspect, reach}.
--!include ids
--!include lease

local holder = leaseHolder(KEYS[1])
if holder and not earlierLife(holder, ARGV[1], ARGV[2], ARGV[3]) then return false end

local c = redis.call('HMGET', KEYS[2], 'id', 'epoch', 'held', 'tries', 'suspect')
local id = c[1] or '0-0'
local epoch = tonumber(c[2] or '0') + 1
local tries = tonumber(c[4] or '0')
if c[3] == '1' then tries = tries + 1 end
local last = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)[1]
local reach = last and last[1] or id
if not after(reach, id) then tries = 0 end

if redis.call('EXISTS', KEYS[3]) == 1 then
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[3])) do
    local name
    for i = 1, #g, 2 do if g[i] == 'name' then name = g[i + 1] end end
    if name == ARGV[5] then
      local active = false
      for _, consumer in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[3], ARGV[5])) do
        for i = 1, #consumer, 2 do
          if consumer[i] == 'idle' and consumer[i + 1] < tonumber(ARGV[6]) then active = true end
        end
      end
      if not active then redis.call('XGROUP', 'DESTROY', KEYS[3], ARGV[5]) end
    end
  end
end

local token = string.format('%d', epoch) .. ':' .. ARGV[3] .. ':' .. ARGV[1]
setLease(KEYS[1], token, ARGV[4])
redis.call('HSET', KEYS[2], 'id', id, 'epoch', string.format('%d', epoch), 'held', '1', 'tries', string.format('%d', tries))
return { token, id, tries, c[5] or '', reach }
