// Writes coalesced rows to the database, never more than FLUSH_BATCH_BYTES (UTF-8 bytes of
// keys and values) in one statement. A row the database rejects (a permanent error) never
// blocks the rows beside it: the statement is split in halves until the failing rows stand
// alone, and those are returned for dead-lettering. A statement too slow (past
// statement_timeout) or too large for the server (MySQL's max_allowed_packet, SQLITE_TOOBIG)
// is split the same way, so a batch is never retried whole forever. What differs is the row
// that stands alone: one still too slow is the database's trouble, not the row's, and is
// retried like any transient error (thrown to the caller); one still too large is refused for
// its size, and no retry will ever take it: it goes to the dead letters with its error. Rows
// committed before a split or a retry are written again harmlessly: the version guard turns a
// replay into a no-op.
import type { Store } from "../store/store";
import type { EntryRow } from "./coalesce";

export interface Persisted {
  written: number;
  skipped: number;
  failed: { row: EntryRow; error: unknown }[];
  /** statements split because they were too slow or too large */
  splits: number;
}

/**
 * `alive` is called after every statement, whatever its outcome: a batch split around slow
 * statements can take several statement timeouts, and each one that ended is progress the
 * thread's watchdog must see (pool.ts replaces a thread that shows none for 3 of them).
 */
export async function persist(store: Store, rows: EntryRow[], maxBytes: number, alive: () => void = () => {}): Promise<Persisted> {
  const result: Persisted = { written: 0, skipped: 0, failed: [], splits: 0 };
  for (const part of byBytes(rows, maxBytes)) await write(store, part, result, alive);
  return result;
}

/** Bytes of a row's key and value in UTF-8, what the database receives. Not string.length: that counts UTF-16 units, a third of the bytes of text like "€". */
export function rowBytes(r: { key: string; value: string | null }): number {
  return Buffer.byteLength(r.key, "utf8") + (r.value === null ? 0 : Buffer.byteLength(r.value, "utf8"));
}

/** Consecutive runs of rows of at most `maxBytes` of keys and values in UTF-8 (at least one row each). */
export function byBytes(rows: EntryRow[], maxBytes: number): EntryRow[][] {
  // UTF-8 takes at most 3 bytes per UTF-16 unit: when that bound fits, so does the batch,
  // without measuring each row (a hot path: about 25 ns a row against 100-230 for UTF-8).
  let units = 0;
  for (const r of rows) units += r.key.length + (r.value?.length ?? 0);
  if (units * 3 <= maxBytes) return rows.length > 0 ? [rows] : [];
  const parts: EntryRow[][] = [];
  let part: EntryRow[] = [];
  let bytes = 0;
  for (const r of rows) {
    const size = rowBytes(r);
    if (part.length > 0 && bytes + size > maxBytes) {
      parts.push(part);
      part = [];
      bytes = 0;
    }
    part.push(r);
    bytes += size;
  }
  if (part.length > 0) parts.push(part);
  return parts;
}

async function write(store: Store, rows: EntryRow[], out: Persisted, alive: () => void): Promise<void> {
  if (rows.length === 0) return;
  try {
    const changed = await store.upsert(rows);
    alive();
    out.written += changed;
    out.skipped += rows.length - changed;
  } catch (error) {
    alive();
    const failure = store.classify(error);
    if (failure === "transient" || (failure === "split" && rows.length === 1)) throw error;
    if (rows.length === 1) {
      // permanent, or too_large: the row alone is what the database refuses.
      out.failed.push({ row: rows[0]!, error });
      return;
    }
    if (failure !== "permanent") out.splits++;
    const mid = rows.length >> 1;
    await write(store, rows.slice(0, mid), out, alive);
    await write(store, rows.slice(mid), out, alive);
  }
}
