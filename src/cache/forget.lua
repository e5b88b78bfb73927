#!lua flags=allow-oom
-- Removes consumers that hold nothing from one partition's stream: a flusher thread's own
-- consumer when it stops drained, and consumers idle for longer than a limit (those of
-- instances that were killed, once their entries were claimed). Each consumer costs its
-- stream a few hundred bytes for as long as it is listed, and every restart on a new host or
-- port brings new names, so without this an empty stream's memory grows with restarts.
-- Only a consumer with no pending entry is removed: XGROUP DELCONSUMER drops a consumer's
-- pending entries from the group, and they would never be delivered again. Checked and
-- removed in one script, so no read can deliver it an entry in between; a live thread whose
-- consumer was removed gets it back on its next read. allow-oom: it only frees memory.
--
-- KEYS[1] a partition's stream   ARGV[1] group   ARGV[2] a consumer to remove ('' = none)
-- ARGV[3] also remove consumers idle for longer than this many ms (0 = none)
-- Returns the number of consumers removed.
local group, own, idleMs = ARGV[1], ARGV[2], tonumber(ARGV[3])
local consumers = redis.pcall('XINFO', 'CONSUMERS', KEYS[1], group)
if type(consumers) ~= 'table' or consumers.err then return 0 end -- no stream or no group: nothing listed
local removed = 0
for _, c in ipairs(consumers) do
  local name, pending, idle
  for i = 1, #c, 2 do
    if c[i] == 'name' then name = c[i + 1] elseif c[i] == 'pending' then pending = c[i + 1] elseif c[i] == 'idle' then idle = c[i + 1] end
  end
  if pending == 0 and (name == own or (idleMs > 0 and idle > idleMs)) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], group, name)
    removed = removed + 1
  end
end
return removed
