#!lua flags=allow-oom
-- Moves entries the flusher gave up on into the dead-letter stream and acknowledges them, in
-- one step: an entry leaves the pending list only once its dead letter is written, and never
-- into nothing. allow-oom: this must work when Redis is out of memory (a Postgres outage that
-- filled Redis is exactly when rows are rejected); it moves an entry, it does not add one.
--
-- KEYS[1] write stream   KEYS[2] dead-letter stream
-- ARGV[1] group, then per entry: its id, the number of fields n, then n field/value strings
-- Returns the number of entries moved.
local stream, dead, group = KEYS[1], KEYS[2], ARGV[1]
local i, moved = 2, 0
while i <= #ARGV do
  local id, n = ARGV[i], tonumber(ARGV[i + 1])
  redis.call('XADD', dead, '*', unpack(ARGV, i + 2, i + 1 + n))
  redis.call('XACK', stream, group, id)
  i = i + 2 + n
  moved = moved + 1
end
return moved
