#!lua
-- One write, atomically: refuse it under backpressure, pick the key's next version,
-- update the cache hash and append the write to the stream. Declared with a shebang and
-- no `allow-oom` flag, so under maxmemory Redis refuses the whole script before it runs.
--
-- KEYS[1] cache hash of the key    KEYS[2] write stream
-- ARGV[1] key   ARGV[2] value   ARGV[3] max backlog (0 = off)   ARGV[4] max lag ms (0 = off)
-- Returns the new version as a decimal string.

local stream = KEYS[2]
local maxBacklog = tonumber(ARGV[3])
local maxLagMs = tonumber(ARGV[4])

-- Hybrid clock: the version is the server time in microseconds, or one past the key's
-- last version if that is larger. It stays monotonic per key while the hash exists, and
-- after Redis loses its data it restarts from "now", which is above anything written
-- before the loss (unless the clock stepped back). 2^53 microseconds is the year 2255.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])

if maxBacklog > 0 then
  local backlog = redis.call('XLEN', stream)
  if backlog >= maxBacklog then
    return redis.error_reply('WBBACKLOG ' .. backlog .. ' writes not yet persisted')
  end
end
if maxLagMs > 0 then
  local oldest = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)[1]
  if oldest then
    local ms = tonumber(string.match(oldest[1], '^(%d+)'))
    local lag = math.floor(now / 1000) - ms
    if lag > maxLagMs then
      return redis.error_reply('WBLAG oldest unpersisted write is ' .. lag .. ' ms old')
    end
  end
end

local version = now
local last = tonumber(redis.call('HGET', KEYS[1], 'ver') or '0')
if last >= version then version = last + 1 end
-- Numbers passed to redis.call are formatted with 14 significant digits: format explicitly.
local ver = string.format('%.0f', version)

redis.call('HSET', KEYS[1], 'v', ARGV[2], 'ver', ver)
redis.call('XADD', stream, '*', 'k', ARGV[1], 'v', ARGV[2], 'ver', ver)
return ver
