-- The version clock: a write's version is the server's time in microseconds, or one past the
-- key's last version if that is larger. It stays monotonic per key while the cache hash exists,
-- and after Redis loses its data (or evicts or expires a clean entry) it restarts from "now",
-- which is above anything written before unless Redis's clock stepped back (the README's one
-- assumption). 2^53 µs is the year 2255.
local function nowUs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end
-- The next version of a key whose hash holds `last` (a string, or false when there is none).
local function nextVersion(last, now)
  local v = tonumber(last or '0')
  if v >= now then return v + 1 end
  return now
end
-- Numbers passed to redis.call are formatted with 14 significant digits: format explicitly.
local function fmt(n)
  return string.format('%.0f', n)
end
