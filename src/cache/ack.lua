#!lua flags=allow-oom
-- Acknowledge persisted entries and delete them, in one step, so the stream holds exactly
-- the writes not yet in Postgres (its length is the backlog) and memory stays bounded.
-- Only called after the transaction that persisted these entries has committed.
-- allow-oom: when Redis is full, acknowledging is what frees memory, so it must still run.
--
-- KEYS[1] stream   ARGV[1] group   ARGV[2..] entry ids (at most a few thousand per call)
redis.call('XACK', KEYS[1], unpack(ARGV))
return redis.call('XDEL', KEYS[1], unpack(ARGV, 2))
