#!lua
-- Moves dead letters back to the write stream with their original key, value and version,
-- so a re-driven entry still passes the version guard: it can never overwrite newer data.
-- Entries without key, value or version (poison that never was a write) stay dead.
-- Refused whole under backpressure, like a write: re-driving must not push the backlog past
-- MAX_BACKLOG. No allow-oom flag: under maxmemory Redis refuses it before it runs.
--
-- KEYS[1] dead-letter stream   KEYS[2] write stream
-- ARGV[1] max backlog (0 = off)   ARGV[2..] ids to re-drive
-- Returns the number of entries moved.
local maxBacklog = tonumber(ARGV[1])
if maxBacklog > 0 then
  local backlog = redis.call('XLEN', KEYS[2])
  if backlog + #ARGV - 1 > maxBacklog then
    return redis.error_reply('WBBACKLOG ' .. backlog .. ' writes not yet persisted')
  end
end
local moved = 0
for i = 2, #ARGV do
  local id = ARGV[i]
  local entry = redis.call('XRANGE', KEYS[1], id, id)[1]
  if entry then
    local f, k, v, ver = entry[2], nil, nil, nil
    for j = 1, #f, 2 do
      if f[j] == 'k' then k = f[j + 1] elseif f[j] == 'v' then v = f[j + 1] elseif f[j] == 'ver' then ver = f[j + 1] end
    end
    if k and v and ver then
      redis.call('XADD', KEYS[2], '*', 'k', k, 'v', v, 'ver', ver)
      redis.call('XDEL', KEYS[1], id)
      moved = moved + 1
    end
  end
end
return moved
