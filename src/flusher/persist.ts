// Writes coalesced rows to Postgres. A permanent (data) error never blocks the rows beside
// it: the batch is split in halves until the failing rows stand alone, and those are returned
// for dead-lettering. A transient error is thrown to the caller, which retries the batch.
// Rows already committed before a split are written again harmlessly: the version guard
// turns a replay into a no-op.
import { classify } from "../store/classify";
import { upsertBatch, withDeadline, type Db } from "../store/db";
import type { Row } from "./coalesce";

export interface Persisted {
  written: number;
  skipped: number;
  failed: { row: Row; error: unknown }[];
}

export async function persist(db: Db, rows: Row[], deadlineMs: number): Promise<Persisted> {
  const result: Persisted = { written: 0, skipped: 0, failed: [] };
  await write(db, rows, deadlineMs, result);
  return result;
}

async function write(db: Db, rows: Row[], deadlineMs: number, out: Persisted): Promise<void> {
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
    if (classify(error) !== "permanent") throw error;
    if (rows.length === 1) {
      out.failed.push({ row: rows[0]!, error });
      return;
    }
    const mid = rows.length >> 1;
    await write(db, rows.slice(0, mid), deadlineMs, out);
    await write(db, rows.slice(mid), deadlineMs, out);
  }
}
