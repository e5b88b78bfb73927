#!lua flags=allow-oom
-- Moves one dead letter of the one-stream release into a partition's dead-letter stream, once:
-- several flusher threads may retire the old stream at the same time, and only the one that
-- still finds the letter moves it. Only ever run on one Redis (the old release ran on no
-- Cluster). allow-oom: it moves a letter, it adds nothing.
--
-- KEYS[1] the old dead-letter stream   KEYS[2] the partition's dead-letter stream
-- ARGV[1] the letter's id
-- Returns 1 when moved, 0 when another thread moved it first.
local entry = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])[1]
if not entry then return 0 end
redis.call('XADD', KEYS[2], '*', unpack(entry[2]))
redis.call('XDEL', KEYS[1], ARGV[1])
return 1
