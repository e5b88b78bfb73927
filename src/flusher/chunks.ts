// How much the flusher asks of Redis in one command. Redis serves one command at a time, so
// a read of many thousands of entries would hold up every write behind it.

/** Entries per XREADGROUP / XAUTOCLAIM at most; a flush batch gathers several reads. */
export const READ_CHUNK = 500;
