#!lua flags=allow-oom
-- Acknowledge persisted entries, give the cache entries whose latest version was committed
-- their TTL (they are clean now, so Redis may expire or evict them), then trim the stream
-- below the oldest entry the group still needs, so the stream holds (almost) only the writes
-- not yet in Postgres and memory stays bounded. Only called after the transaction that
-- persisted these entries has committed.
-- allow-oom: when Redis is full, acknowledging is what frees memory, so it must still run.
--
-- Trimming instead of XDEL of each id: XTRIM MINID drops whole listpack nodes, about four
-- times cheaper per entry inside Redis's single thread (bench/README.md). Everything below
-- the trim point was delivered (it is at or below the group's last-delivered id) and is not
-- pending, so it is acknowledged: persisted. Acknowledged entries above an older pending one
-- (another thread's batch still being written) stay until that one is acknowledged too.
--
-- One call may cover several partitions' streams (on one Redis; on a Cluster the caller makes
-- one call per partition, whose keys share a slot).
--
-- Entries made clean may vanish from now on: the fence of each partition they are in moves
-- (keys.ts, fence.lua), so a database read that began before cannot put an older value back.
--
-- KEYS[1..s] streams   KEYS[s+1..s+f] fences of the committed keys' partitions
-- KEYS[s+f+1..] cache hash of each committed key
-- ARGV[1] group   ARGV[2] TTL in ms (0 = none)   ARGV[3] s   ARGV[4] f   ARGV[5..4+s] number of ids of each stream
-- then the entry ids, stream by stream   then the committed version of each cache hash, in KEYS order
-- Returns the number of entries trimmed.
local group, ttl, s, f = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local at = 5 + s
for j = 1, s do
  local n = tonumber(ARGV[4 + j])
  if n > 0 then redis.call('XACK', KEYS[j], group, unpack(ARGV, at, at + n - 1)) end
  at = at + n
end

if ttl > 0 then
  for j = s + 1, s + f do redis.call('INCR', KEYS[j]) end
  local first = s + f + 1
  for i = first, #KEYS do
    -- Only if the cached version is still the committed one: a newer write made it dirty.
    if redis.call('HGET', KEYS[i], 'ver') == ARGV[at + i - first] then redis.call('PEXPIRE', KEYS[i], ttl) end
  end
end

local function trim(stream)
  local pending = redis.pcall('XPENDING', stream, group)
  if type(pending) ~= 'table' or pending.err then return 0 end -- no group: nothing to trim against
  local minid = pending[2]
  if pending[1] == 0 then
    -- Nothing pending: everything delivered so far is persisted.
    local last
    for _, g in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
      local name, delivered
      for i = 1, #g, 2 do
        if g[i] == 'name' then name = g[i + 1] elseif g[i] == 'last-delivered-id' then delivered = g[i + 1] end
      end
      if name == group then last = delivered end
    end
    if not last then return 0 end
    local ms, seq = string.match(last, '^(%d+)-(%d+)$')
    minid = ms .. '-' .. string.format('%.0f', tonumber(seq) + 1)
  end
  return redis.call('XTRIM', stream, 'MINID', minid)
end

local trimmed = 0
for j = 1, s do trimmed = trimmed + trim(KEYS[j]) end
return trimmed
