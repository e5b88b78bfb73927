// How much one command, statement or round carries: the sizes chosen by measurement
// (bench/README.md), not settings a deployment changes, so they are constants, in one place.
// Redis serves one command at a time: a read or a script over many thousands of items would
// hold up every write behind it.

/** Writes per set.lua call at most (the writes of one event-loop turn; more make several calls). */
export const WRITE_CALL_MAX_WRITES = 256;
/** Bytes (UTF-8, keys and values) per set.lua call at most. */
export const WRITE_CALL_MAX_BYTES = 1024 * 1024;

/** Stream entries per XREAD at most; a flush batch gathers several reads (flusher.ts). */
export const READ_CHUNK = 500;
/** Keys per values.lua call (the values of large writes, read from the cache hashes). */
export const VALUES_CHUNK = 500;
/** Cache entries per clean.lua call (committed keys given their TTL). */
export const CLEAN_CHUNK = 500;
/** Dead letters per redrive.lua call. */
export const REDRIVE_CHUNK = 1000;
/** Dead letters per XRANGE when moving them between dead-letter streams (layout changes, the one-stream upgrade). */
export const DEAD_MOVE_CHUNK = 500;

/** Database connections of the main thread (reads, ?wait=persisted, /ready); each flusher thread has one of its own. */
export const API_DB_CONNECTIONS = 4;

/**
 * A store replaces its database client at most this often. During connection resets every
 * call fails, each asking for a replacement; unbounded, pools that open while older ones
 * close ran a shared server out of connections (max_connections) in a test.
 */
export const STORE_RESET_MIN_INTERVAL_MS = 1000;

/** How often each flusher thread purges tombstones older than TOMBSTONE_RETENTION_MS (threads start at random offsets). */
export const PURGE_INTERVAL_MS = 60_000;
/** Tombstones per purge statement, and statements per round at most. */
export const PURGE_BATCH = 500;
export const PURGE_MAX_BATCHES = 20;
