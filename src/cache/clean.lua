#!lua flags=allow-oom
-- Gives the cache entries whose latest version was committed their TTL: they are clean now, so
-- Redis may expire or evict them. Only after the batch committed to the database. An entry a
-- newer write made dirty again keeps no TTL: its version is checked first, unless its
-- partition's stream is empty: then no write of the partition is unpersisted, so every entry
-- of it is clean and the check is skipped (the common case once a backlog is drained).
-- Each partition's fence moves in the same step (keys.ts, include/fence.lua): entries made
-- clean may vanish from now on, so a database read that began before cannot put an older value
-- back. A fence this finds missing starts at the server's time, as fence.lua's does.
-- Not fenced by the lease: a committed version is in the database whoever owns the partition.
-- allow-oom: when Redis is full, making entries evictable is what frees memory.
--
-- KEYS[1..s] the streams of the keys' partitions   KEYS[s+1..2s] their fences   KEYS[2s+1..] cache hashes
-- ARGV[1] TTL ms   ARGV[2] s   then per cache hash: the committed version, the index (1..s) of its stream
-- Returns the number of entries given a TTL.
--!include fence
local ttl, s = ARGV[1], tonumber(ARGV[2])
local settled = {}
for j = 1, s do
  settled[j] = redis.call('XLEN', KEYS[j]) == 0
  moveFence(KEYS[s + j])
end
local n = 0
local first = 2 * s + 1
for i = first, #KEYS do
  local at = 3 + 2 * (i - first)
  if settled[tonumber(ARGV[at + 1])] or redis.call('HGET', KEYS[i], 'ver') == ARGV[at] then
    n = n + redis.call('PEXPIRE', KEYS[i], ttl)
  end
end
return n
