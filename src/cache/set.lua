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
-- The writes may be of several partitions (keys.ts): on one Redis, one call carries a whole
-- turn's writes; on a Cluster, the caller makes one call per partition, so that its keys share
-- one slot. Backpressure is judged per partition stream touched, against its share of the limits.
--
-- KEYS[1..s] write streams of the partitions touched    KEYS[s+1..s+n] cache hash of each write's key
-- ARGV[1] s    ARGV[2] max backlog per partition (0 = off)    ARGV[3] max lag ms (0 = off)
-- ARGV[4..] op ("s" set, "d" delete), key, value ("" for a delete), index of its stream in KEYS
-- (1..s) of each write, in the order of KEYS[s+1..]
-- Returns the new versions as decimal strings, in order.

local s = tonumber(ARGV[1])
-- Values shorter than this travel in the stream entry too; longer ones only in the hash. For a
-- large value that halves what Redis holds (and its AOF writes) per unpersisted write; for a
-- small one, reading it back from the hash costs the flusher and Redis more than carrying it
-- (the drain of 32-byte values fell by 30 % without it: bench/README.md).
local INLINE_MAX = 512
local maxBacklog = tonumber(ARGV[2])
local maxLagMs = tonumber(ARGV[3])

-- Hybrid clock: a version is the server time in microseconds, or one past the key's last
-- version if that is larger. It stays monotonic per key while the hash exists, and after
-- Redis loses its data (or evicts or expires a clean entry) it restarts from "now", which is
-- above anything written before (unless the clock stepped back). 2^53 microseconds is the
-- year 2255.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])

for j = 1, s do
  local stream = KEYS[j]
  if maxBacklog > 0 then
    local backlog = redis.call('XLEN', stream)
    if backlog >= maxBacklog then
      return redis.error_reply('WBBACKLOG ' .. backlog .. ' writes of one partition not yet persisted')
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
end

local versions = {}
for i = 1, #KEYS - s do
  local hash = KEYS[s + i]
  local a = 4 * i
  local op, key, value, stream = ARGV[a], ARGV[a + 1], ARGV[a + 2], KEYS[tonumber(ARGV[a + 3])]
  local version = now
  local last = tonumber(redis.call('HGET', hash, 'ver') or '0')
  if last >= version then version = last + 1 end
  -- Numbers passed to redis.call are formatted with 14 significant digits: format explicitly.
  local ver = string.format('%.0f', version)
  if op == 'd' then
    redis.call('HDEL', hash, 'v')
    redis.call('HSET', hash, 'ver', ver)
    redis.call('XADD', stream, '*', 'k', key, 'ver', ver, 'del', '1')
  else
    redis.call('HSET', hash, 'v', value, 'ver', ver)
    if #value < INLINE_MAX then
      redis.call('XADD', stream, '*', 'k', key, 'v', value, 'ver', ver)
    else
      -- A large value stays in the hash only: the entry says where to find it and how big it is.
      redis.call('XADD', stream, '*', 'k', key, 'ver', ver, 'n', #value)
    end
  end
  redis.call('PERSIST', hash)
  versions[i] = ver
end
return versions
