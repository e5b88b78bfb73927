// Writes coalesced rows to Postgres, never more than FLUSH_BATCH_BYTES in one statement.
// A row the database rejects (a permanent error) never blocks the rows beside it: the
// statement is split in halves until the failing rows stand alone, and those are returned
// for dead-lettering. A statement that runs past statement_timeout is split the same way, so
// a batch too large or too slow is never retried whole forever; one row alone that still
// times out is the database's trouble, not the row's, and is retried like any transient
// error, which is thrown to the caller. Rows committed before a split or a retry are written
// again harmlessly: the version guard turns a replay into a no-op.
import { classify } from "../store/classify";
import { upsertBatch, withDeadline, type Db } from "../store/db";
import type { EntryRow } from "./coalesce";

/**
 * The client-side deadline is the server's statement_timeout plus this margin: the server's
 * own timeout (which proves the server alive, and splits) normally comes first; the client's
 * is for a connection that went silent, where splitting would only wait longer.
 */
export const DEADLINE_MARGIN_MS = 1000;

export interface Persisted {
  written: number;
  skipped: number;
  failed: { row: EntryRow; error: unknown }[];
  /** statements split because they ran past statement_timeout */
  timeoutSplits: number;
}

export interface PersistOptions {
  statementTimeoutMs: number;
  maxBytes: number;
}

export async function persist(db: Db, rows: EntryRow[], o: PersistOptions): Promise<Persisted> {
  const result: Persisted = { written: 0, skipped: 0, failed: [], timeoutSplits: 0 };
  for (const part of byBytes(rows, o.maxBytes)) await write(db, part, o.statementTimeoutMs + DEADLINE_MARGIN_MS, result);
  return result;
}

/** Consecutive runs of rows of at most `maxBytes` of keys and values (at least one row each). */
export function byBytes(rows: EntryRow[], maxBytes: number): EntryRow[][] {
  const parts: EntryRow[][] = [];
  let part: EntryRow[] = [];
  let bytes = 0;
  for (const r of rows) {
    const size = r.key.length + r.value.length;
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

async function write(db: Db, rows: EntryRow[], deadlineMs: number, out: Persisted): Promise<void> {
  if (rows.length === 0) return;
  try {
    const changed = await withDeadline(
      upsertBatch(
        db,
        rows.map((r) => r.key),
        rows.map((r) => r.value),
        rows.map((r) => r.version),
      ),
      deadlineMs,
    );
    out.written += changed;
    out.skipped += rows.length - changed;
  } catch (error) {
    const failure = classify(error);
    if (failure === "transient" || (failure === "timeout" && rows.length === 1)) throw error;
    if (rows.length === 1) {
      out.failed.push({ row: rows[0]!, error });
      return;
    }
    if (failure === "timeout") out.timeoutSplits++;
    const mid = rows.length >> 1;
    await write(db, rows.slice(0, mid), deadlineMs, out);
    await write(db, rows.slice(mid), deadlineMs, out);
  }
}
