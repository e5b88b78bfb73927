#!lua
-- A batch of writes (sets and deletes), gathered by the API during one event-loop turn,
-- applied atomically and in order: refuse the batch under backpressure; for each write take
-- the partition's next version (include/clock.lua), update the key's cache hash and append the
-- write to the partition's stream. Declared with a shebang and no `allow-oom` flag, so under
-- maxmemory Redis refuses the whole script before it runs: a batch is applied entirely or not
-- at all. One script call per batch instead of per write is what makes the write path cheap
-- for Redis (bench/README.md).
--
-- The cache hash of a key holds `ver` and, unless the key is deleted, `v`: a hash with `ver`
-- and no `v` is a tombstone (reads answer 404 from it; versions keep growing from it). A write
-- makes the entry dirty, so it loses any TTL (PERSIST; a hash this write creates has none):
-- only the flusher gives a clean entry a TTL again (clean.lua), so Redis can only ever expire
-- or evict persisted data. That is also why a write's stream entry need not carry its value
-- (entry.ts): the hash keeps it, or a newer one, for as long as the entry is unpersisted.
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
--!include clock
--!include backpressure
-- Values shorter than this travel in the stream entry too; longer ones only in the hash (entry.ts).
--!const INLINE_MAX

local s = tonumber(ARGV[1])
local maxBacklog, maxLagMs = tonumber(ARGV[2]), tonumber(ARGV[3])
local now = nowUs()
for j = 1, s do
  local refused = refusal(KEYS[j], 1, maxBacklog, maxLagMs, math.floor(now / 1000))
  if refused then return refused end
end

local versions = {}
for i = 1, #KEYS - s do
  local hash = KEYS[s + i]
  local a = 4 * i
  local op, key, value, stream = ARGV[a], ARGV[a + 1], ARGV[a + 2], KEYS[tonumber(ARGV[a + 3])]
  local last = redis.call('HGET', hash, 'ver')
  local ver = fmt(nextVersion(last, now))
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
  if last then redis.call('PERSIST', hash) end -- a hash this write created has no TTL to remove
  versions[i] = ver
end
return versions
