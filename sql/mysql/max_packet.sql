-- The largest packet the server takes from this connection: one statement's parameters must
-- fit in it (past it: 1153). Read at start; MAX_VALUE_BYTES is checked against it.
SELECT @@max_allowed_packet AS max_packet
