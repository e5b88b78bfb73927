#!lua
-- An increment: the key's current value plus `by`, as one write (a new version, the cache
-- hash, a stream entry), atomically, so concurrent increments never lose one. The arithmetic
-- is Redis's own HINCRBY (exact signed 64-bit) on a scratch field, so a value that is not an
-- integer, or a result out of range, changes nothing. Refused under backpressure like a set;
-- no allow-oom flag, so under maxmemory Redis refuses it before it runs.
--
-- When the key has no cache entry, the value must come from the database first: without a
-- base (ARGV[5] == '') the script answers {'MISS'} and the caller reads the partition's fence
-- (fence.lua), then the database, and calls again with the base ("0" for an absent or deleted
-- key) and that fence. A write that lands in between made an entry, and then the entry, not
-- the base, is what is incremented. A fence that changed meanwhile means an entry of the
-- partition was made clean and may have expired or been evicted during the database read,
-- taking a newer write with it: the base may be stale, so the answer is {'MISS'} again and the
-- caller reads again.
--
-- KEYS[1] write stream   KEYS[2] cache hash   KEYS[3] fence of the partition
-- ARGV[1] max backlog (0 = off)   ARGV[2] max lag ms (0 = off)   ARGV[3] key   ARGV[4] by
-- ARGV[5] base from the database, or '' when not read   ARGV[6] the fence read before the database
-- Returns {version, value}, {'MISS'}, or an error WBNOTINT / WBRANGE / WBBACKLOG / WBLAG.
--!include clock
--!include backpressure
local stream, hash, fence = KEYS[1], KEYS[2], KEYS[3]
local maxBacklog, maxLagMs, key, by, base = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5]

local now = nowUs()
local refused = refusal(stream, 1, maxBacklog, maxLagMs, math.floor(now / 1000))
if refused then return refused end

local current
local last = redis.call('HGET', hash, 'ver')
if last then
  current = redis.call('HGET', hash, 'v') or '0' -- a tombstone counts from 0
elseif base == '' or redis.call('GET', fence) ~= ARGV[6] then
  return { 'MISS' }
else
  current = base
end

redis.call('HSET', hash, '_incr', current)
local ok = redis.pcall('HINCRBY', hash, '_incr', by)
if type(ok) == 'table' and ok.err then
  -- Not a 64-bit integer to begin with, or the sum is out of range: nothing changes.
  local isInt = redis.pcall('HINCRBY', hash, '_incr', 0)
  redis.call('HDEL', hash, '_incr')
  if type(isInt) == 'table' and isInt.err then return redis.error_reply('WBNOTINT the current value is not a 64-bit integer') end
  return redis.error_reply('WBRANGE the result is outside the signed 64-bit range')
end
-- Read back as a string: HINCRBY's integer reply becomes a Lua double, exact only to 2^53.
local value = redis.call('HGET', hash, '_incr')
redis.call('HDEL', hash, '_incr')

local ver = fmt(nextVersion(last, now))
redis.call('HSET', hash, 'v', value, 'ver', ver)
redis.call('XADD', stream, '*', 'k', key, 'v', value, 'ver', ver)
if last then redis.call('PERSIST', hash) end -- a hash made now has no TTL
return { ver, value }
