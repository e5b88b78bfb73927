// One flusher thread as /health and the status page report it. The pool (src/flusher/pool.ts)
// makes it and the routes (src/http/) show it; they do not import each other, so it is here.
export interface ThreadHealth {
  index: number;
  /** the thread exists and its loop turns */
  alive: boolean;
  lastBeatAgoMs: number;
  /** the thread's loop turns, but one batch has not gone through for longer than FLUSH_STUCK_MS */
  stuck: boolean;
  /** how long the thread has been on its current batch (0: none) */
  batchAgeMs: number;
  lastError?: string;
}
