-- A partition's fence (keys.ts): read before a cache miss reads the database (fence.lua), moved
-- whenever entries of the partition are made clean (clean.lua). A missing fence (a new
-- deployment, or Redis lost its data) starts at the server's time in microseconds rather than
-- at nothing, whichever script finds it missing: after a loss it is then unlike any value read
-- before the loss, so a read that straddles the loss cannot fill.
local function fenceStart(key)
  local t = redis.call('TIME')
  local f = t[1] .. string.format('%06d', tonumber(t[2]))
  redis.call('SET', key, f)
  return f
end
local function moveFence(key)
  if redis.call('INCR', key) == 1 then fenceStart(key) end
end
