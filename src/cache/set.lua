#!lua
-- A batch of writes (sets and deletes), gathered by the API during one event-loop turn,
-- applied atomically and in order: refuse the batch under backpressure; for each write pick
-- the key's next version, update its cache hash and append it to the stream. Declared with a
-- shebang and no `allow-oom` flag, so under maxmemory Redis refuses the whole script before it
-- runs: a batch is applied entirely or not at all. One script call per batch instead of per
-- write is what makes the write path cheap for Redis (bench/README.md).
--
-- The cache hash of a key holds `ver` and, unless the key is deleted, `v`: a hash with `ver`
-- and no `v` is a tombstone (reads answer 404 from it; versions keep growing from it). A
-- write makes the entry dirty, so it loses any TTL (PERSIST): only the flusher gives a clean
-- entry a TTL again (ack.lua), so Redis can only ever expire or evict persisted data. That is
-- also why a write's stream entry need not carry its value (entry.ts): the hash keeps it, or
-- a newer one, for as long as the entry is unpersisted.
--
-- KEYS[1] write stream    KEYS[2..n+1] cache hash of each write's key
-- ARGV[1] max backlog (0 = off)    ARGV[2] max lag ms (0 = off)
-- ARGV[3..] op ("s" set, "d" delete), key, value ("" for a delete) of each write, in the order of KEYS[2..]
-- Returns the new versions as decimal strings, in order.

local stream = KEYS[1]
-- Values shorter than this travel in the stream entry too; longer ones only in the hash. For a
-- large value that halves what Redis holds (and its AOF writes) per unpersisted write; for a
-- small one, reading it back from the hash costs the flusher and Redis more than carrying it
-- (the drain of 32-byte values fell by 30 % without it: bench/README.md).
local INLINE_MAX = 512
local maxBacklog = tonumber(ARGV[1])
local maxLagMs = tonumber(ARGV[2])

-- Hybrid clock: a version is the server time in microseconds, or one past the key's last
-- version if that is larger. It stays monotonic per key while the hash exists, and after
-- Redis loses its data (or evicts or expires a clean entry) it restarts from "now", which is
-- above anything written before (unless the clock stepped back). 2^53 microseconds is the
-- year 2255.
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

local versions = {}
for i = 2, #KEYS do
  local a = 3 * i - 3
  local op, key, value = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  local version = now
  local last = tonumber(redis.call('HGET', KEYS[i], 'ver') or '0')
  if last >= version then version = last + 1 end
  -- Numbers passed to redis.call are formatted with 14 significant digits: format explicitly.
  local ver = string.format('%.0f', version)
  if op == 'd' then
    redis.call('HDEL', KEYS[i], 'v')
    redis.call('HSET', KEYS[i], 'ver', ver)
    redis.call('XADD', stream, '*', 'k', key, 'ver', ver, 'del', '1')
  else
    redis.call('HSET', KEYS[i], 'v', value, 'ver', ver)
    if #value < INLINE_MAX then
      redis.call('XADD', stream, '*', 'k', key, 'v', value, 'ver', ver)
    else
      -- A large value stays in the hash only: the entry says where to find it and how big it is.
      redis.call('XADD', stream, '*', 'k', key, 'ver', ver, 'n', #value)
    end
  end
  redis.call('PERSIST', KEYS[i])
  versions[i - 1] = ver
end
return versions
