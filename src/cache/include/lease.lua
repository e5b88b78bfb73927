-- A lease held in a key without a TTL: `<until ms> <holder>`. Not a TTL, because a key with one
-- may be evicted under a volatile-* policy, and Redis full of dirty entries (a database outage)
-- has few other keys to evict: a lease evicted would hand a partition to another owner
-- mid-batch, and count against its entries as a crash (claim.lua).
local function leaseNowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- The holder of the lease in `key`, or nil when there is none or it lapsed.
local function leaseHolder(key)
  local v = redis.call('GET', key)
  if not v then return nil end
  local untilMs, holder = string.match(v, '^(%d+) (.*)$')
  if not untilMs or tonumber(untilMs) <= leaseNowMs() then return nil end
  return holder
end
-- Whether `holder` (`<epoch>:<process id>:<consumer>`) is an earlier life of `consumer`: the
-- same consumer (its thread died and was replaced), or a consumer of the same CONSUMER_NAME
-- `name` in another process than `process` (the instance was killed and restarted: the name's
-- own lease, lease.lua, keeps two live processes from sharing a name).
local function earlierLife(holder, consumer, name, process)
  local p, c = string.match(holder, '^%d+:([^:]*):(.*)$')
  return c == consumer or (p ~= process and string.match(c or '', '^(.*)%-%d+$') == name)
end
-- Gives the lease in `key` to `holder` for `ttl` ms from now.
local function setLease(key, holder, ttl)
  redis.call('SET', key, string.format('%.0f', leaseNowMs() + tonumber(ttl)) .. ' ' .. holder)
end
