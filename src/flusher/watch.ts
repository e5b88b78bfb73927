// The flusher thread's side of write-and-wait (?wait=persisted): which keys requests of this
// process wait on, so that a thread posts to the main thread only the commits someone waits
// for, not every key it commits (at tens of thousands of keys a second, copying them all
// between threads and looking each one up cost the other requests their tail latency).
//
// The main thread tells the threads a key is watched only after the write was answered by
// Redis, so a thread may have committed it just before. The thread therefore remembers what it
// committed in the last one to two seconds (two generations, swapped every RECENT_MS) while
// anyone has been waiting recently, and answers a new watch from that memory. A commit older
// than that, or made before anyone waited, is found by the main thread's database poll.

const RECENT_MS = 1000;
/** how long the thread keeps remembering commits after the last key stopped being watched */
const LINGER_MS = 10_000;

export interface Commit {
  key: string;
  version: number;
}

export class CommitWatch {
  private watched = new Set<string>();
  private recent = new Map<string, number>();
  private older = new Map<string, number>();
  private swappedAt = 0;
  private lastWatchedAt = -Infinity;

  constructor(private now: () => number = Date.now) {}

  /** Keys start or stop being waited on; returns the added keys this thread committed lately. */
  update(add: string[], remove: string[]): Commit[] {
    for (const key of remove) this.watched.delete(key);
    const found: Commit[] = [];
    for (const key of add) {
      this.watched.add(key);
      const version = Math.max(this.recent.get(key) ?? -1, this.older.get(key) ?? -1);
      if (version >= 0) found.push({ key, version });
    }
    this.lastWatchedAt = this.now();
    return found;
  }

  /** What a batch committed; returns the commits someone waits for. */
  committed(rows: readonly Commit[]): Commit[] {
    const now = this.now();
    if (this.watched.size > 0) this.lastWatchedAt = now;
    else if (now - this.lastWatchedAt > LINGER_MS) {
      this.recent.clear();
      this.older.clear();
      return [];
    }
    if (now - this.swappedAt >= RECENT_MS) {
      this.older = this.recent;
      this.recent = new Map();
      this.swappedAt = now;
    }
    const found: Commit[] = [];
    for (const r of rows) {
      if (r.version > (this.recent.get(r.key) ?? -1)) this.recent.set(r.key, r.version);
      if (this.watched.has(r.key)) found.push({ key: r.key, version: r.version });
    }
    return found;
  }
}
