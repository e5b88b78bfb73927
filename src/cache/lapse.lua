#!lua flags=allow-oom
-- Ends partition p's lease when an earlier life of this consumer holds it (include/lease.lua),
-- as if it had lapsed: a thread that starts again does not own what its earlier life claimed
-- beyond its share (at startup one thread claims every partition before the others join), and
-- without this the partition's next owner would wait FLUSH_CLAIM_IDLE_MS for it. The cursor
-- keeps `held`, so the next claim counts the crash as a try (claim.lua), as after a lapse.
-- allow-oom: a flusher must be able to start when Redis is full.
--
-- KEYS[1] lease
-- ARGV[1] consumer (`<CONSUMER_NAME>-<thread>`)   ARGV[2] CONSUMER_NAME   ARGV[3] this process's id
-- Returns 1 when it ended the lease, else 0.
--!include lease

local holder = leaseHolder(KEYS[1])
if not holder or not earlierLife(holder, ARGV[1], ARGV[2], ARGV[3]) then return 0 end
redis.call('DEL', KEYS[1])
return 1
