// How much the flusher asks of Redis in one command. Redis serves one command at a time, so
// a read or an ack of many thousands of entries would hold up every write behind it.

/** Entries per XREADGROUP / XAUTOCLAIM; a flush batch gathers several reads. */
export const READ_CHUNK = 500;
/** Entry ids per acknowledge-and-trim script call (ack.lua). */
export const ACK_CHUNK = 250;
