#!lua
-- Moves dead letters back to the write stream with their original key, value and version,
-- so a re-driven entry still passes the version guard: it can never overwrite newer data.
-- Entries without key, value or version (poison that never was a write) stay dead.
--
-- KEYS[1] dead-letter stream   KEYS[2] write stream   ARGV ids to re-drive
-- Returns the number of entries moved.
local moved = 0
for _, id in ipairs(ARGV) do
  local entry = redis.call('XRANGE', KEYS[1], id, id)[1]
  if entry then
    local f, k, v, ver = entry[2], nil, nil, nil
    for i = 1, #f, 2 do
      if f[i] == 'k' then k = f[i + 1] elseif f[i] == 'v' then v = f[i + 1] elseif f[i] == 'ver' then ver = f[i + 1] end
    end
    if k and v and ver then
      redis.call('XADD', KEYS[2], '*', 'k', k, 'v', v, 'ver', ver)
      redis.call('XDEL', KEYS[1], id)
      moved = moved + 1
    end
  end
end
return moved
