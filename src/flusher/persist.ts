// Writes coalesced rows to Postgres, never more than FLUSH_BATCH_BYTES in one statement.
// A row the database rejects (a permanent error) never blocks the rows beside it: the
// statement is split in halves until the failing rows stand alone, and those are returned
// for dead-lettering. A statement that runs past statement_timeout is split the same way, so
// a batch too large or too slow is never retried whole forever; one row alone that still
// times out is the database's trouble, not the row's, and is retried like any transient
// error, which is thrown to the caller. Rows committed before a split or a retry are written
// again harmlessly: the version guard turns a replay into a no-op.
import type { Store } from "../store/store";
import type { EntryRow } from "./coalesce";

export interface Persisted {
  written: number;
  skipped: number;
  failed: { row: EntryRow; error: unknown }[];
  /** statements split because they ran past statement_timeout */
  timeoutSplits: number;
}

export async function persist(store: Store, rows: EntryRow[], maxBytes: number): Promise<Persisted> {
  const result: Persisted = { written: 0, skipped: 0, failed: [], timeoutSplits: 0 };
  for (const part of byBytes(rows, maxBytes)) await write(store, part, result);
  return result;
}

/** Consecutive runs of rows of at most `maxBytes` of keys and values (at least one row each). */
export function byBytes(rows: EntryRow[], maxBytes: number): EntryRow[][] {
  const parts: EntryRow[][] = [];
  let part: EntryRow[] = [];
  let bytes = 0;
  for (const r of rows) {
    const size = r.key.length + (r.value?.length ?? 0);
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

async function write(store: Store, rows: EntryRow[], out: Persisted): Promise<void> {
  if (rows.length === 0) return;
  try {
    const changed = await store.upsert(rows);
    out.written += changed;
    out.skipped += rows.length - changed;
  } catch (error) {
    const failure = store.classify(error);
    if (failure === "transient" || (failure === "split" && rows.length === 1)) throw error;
    if (rows.length === 1) {
      out.failed.push({ row: rows[0]!, error });
      return;
    }
    if (failure === "split") out.timeoutSplits++;
    const mid = rows.length >> 1;
    await write(store, rows.slice(0, mid), out);
    await write(store, rows.slice(mid), out);
  }
}
