-- Serializes migrations between instances starting at once (a named lock, held by this
-- connection until released; waits up to 60 s).
SELECT GET_LOCK('writeback schema', 60) AS got
