#!lua
-- Moves dead letters back to the write stream with their original key, value (or delete)
-- and version, so a re-driven entry still passes the version guard: it can never overwrite
-- newer data. Entries without key and version, or with neither value nor delete mark
-- (poison that never was a write), stay dead. Refused whole under backpressure, like a
-- write: re-driving must not push the backlog past MAX_BACKLOG. Refused whole when an entry
-- is older than the tombstone retention: the delete that once superseded it may have been
-- purged, so it could bring a deleted key back. No allow-oom flag: under maxmemory Redis
-- refuses it before it runs.
--
-- KEYS[1] dead-letter stream   KEYS[2] write stream
-- ARGV[1] max backlog (0 = off)   ARGV[2] oldest version allowed (0 = any)   ARGV[3..] ids
-- Returns the number of entries moved.
local maxBacklog, minVersion = tonumber(ARGV[1]), tonumber(ARGV[2])
if maxBacklog > 0 then
  local backlog = redis.call('XLEN', KEYS[2])
  if backlog + #ARGV - 2 > maxBacklog then
    return redis.error_reply('WBBACKLOG ' .. backlog .. ' writes not yet persisted')
  end
end
local moves = {}
for i = 3, #ARGV do
  local id = ARGV[i]
  local entry = redis.call('XRANGE', KEYS[1], id, id)[1]
  if entry then
    local f, k, v, ver, del = entry[2], nil, nil, nil, nil
    for j = 1, #f, 2 do
      if f[j] == 'k' then k = f[j + 1] elseif f[j] == 'v' then v = f[j + 1]
      elseif f[j] == 'ver' then ver = f[j + 1] elseif f[j] == 'del' then del = f[j + 1] end
    end
    if k and ver and (v or del == '1') then
      if minVersion > 0 and (tonumber(ver) or 0) < minVersion then
        return redis.error_reply('WBEXPIRED ' .. id .. ' is older than the tombstone retention')
      end
      moves[#moves + 1] = { id, k, v, ver }
    end
  end
end
for _, m in ipairs(moves) do
  if m[3] then
    redis.call('XADD', KEYS[2], '*', 'k', m[2], 'v', m[3], 'ver', m[4])
  else
    redis.call('XADD', KEYS[2], '*', 'k', m[2], 'ver', m[4], 'del', '1')
  end
  redis.call('XDEL', KEYS[1], m[1])
end
return #moves
