#!lua flags=allow-oom
-- Commits what a batch persisted, partition by partition, only where the caller still holds
-- the lease (its token, claim.lua): writes the partition's dead letters, moves its cursor to
-- the last entry the batch read from it and trims the stream up to there. So an entry leaves
-- the stream only into the database (the batch committed before this runs) or into the dead
-- letters, in one step; and a stalled owner whose lease lapsed (another consumer claimed the
-- partition and reads it from the cursor) changes nothing: its batch is read again and its
-- rows replayed harmlessly under the version guard.
--
-- The stream then holds exactly the writes not yet persisted: its length is the backlog, its
-- oldest entry the oldest unpersisted write. The cursor only moves forward.
-- allow-oom: when Redis is full, committing is what frees memory, so it must still run.
--
-- KEYS[1..4m] per partition, four each: lease, cursor, stream, dead-letter stream
-- ARGV per partition, in order: token; the id to move the cursor to ('' = stays); '1' to keep
-- the tries (flushing one entry at a time, claim.lua), else '0'; the number of dead letters;
-- then per dead letter its field count and fields
-- Returns 1 (committed) or 0 (the lease is another consumer's now) per partition.
--!include ids
--!include lease

local out = {}
local a = 1
for j = 1, #KEYS / 4 do
  local lease, cursor, stream, dead = KEYS[4 * j - 3], KEYS[4 * j - 2], KEYS[4 * j - 1], KEYS[4 * j]
  local token, upTo, keep, letters = ARGV[a], ARGV[a + 1], ARGV[a + 2], tonumber(ARGV[a + 3])
  a = a + 4
  local mine = leaseHolder(lease) == token
  -- A commit the client sent again after a reconnect (its reply was lost) finds its cursor
  -- already moved: its dead letters were written the first time.
  local moves = mine and upTo ~= '' and after(upTo, redis.call('HGET', cursor, 'id') or '0-0')
  for _ = 1, letters do
    local n = tonumber(ARGV[a])
    if moves then redis.call('XADD', dead, '*', unpack(ARGV, a + 1, a + n)) end
    a = a + 1 + n
  end
  if mine then
    if moves then
      redis.call('HSET', cursor, 'id', upTo)
      local ms, seq = string.match(upTo, '^(%d+)-(%d+)$')
      redis.call('XTRIM', stream, 'MINID', ms .. '-' .. string.format('%.0f', tonumber(seq) + 1))
    end
    if keep ~= '1' then redis.call('HSET', cursor, 'tries', '0', 'suspect', '') end
    out[j] = 1
  else
    out[j] = 0
  end
end
return out
