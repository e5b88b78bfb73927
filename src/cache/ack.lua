#!lua flags=allow-oom
-- Acknowledge persisted entries, then trim the stream below the oldest entry the group still
-- needs, so the stream holds (almost) only the writes not yet in Postgres and memory stays
-- bounded. Only called after the transaction that persisted these entries has committed.
-- allow-oom: when Redis is full, acknowledging is what frees memory, so it must still run.
--
-- Trimming instead of XDEL of each id: XTRIM MINID drops whole listpack nodes, about four
-- times cheaper per entry inside Redis's single thread (bench/README.md). Everything below
-- the trim point was delivered (it is at or below the group's last-delivered id) and is not
-- pending, so it is acknowledged: persisted. Acknowledged entries above an older pending one
-- (another thread's batch still being written) stay until that one is acknowledged too.
--
-- KEYS[1] stream   ARGV[1] group   ARGV[2..] entry ids (at most a few thousand per call)
-- Returns the number of entries trimmed.
local stream, group = KEYS[1], ARGV[1]
redis.call('XACK', stream, group, unpack(ARGV, 2))

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
