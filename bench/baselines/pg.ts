// B-pg: the database's ceiling for a drain. The flusher's upsert statement alone, from one
// connection, with the same rows and batch size the flusher sends: `rows` distinct new keys
// in batches of `batch`, each its own transaction (as each flush is).
import postgres from "postgres";
import { upsertBatch } from "../../src/store/db";

export async function upsertCeiling(url: string, rows: number, batch: number, runId: string): Promise<number> {
  const db = postgres(url, { max: 1, onnotice: () => {} });
  const value = "x".repeat(32);
  const started = performance.now();
  for (let i = 0; i < rows; i += batch) {
    const n = Math.min(batch, rows - i);
    const keys = Array.from({ length: n }, (_, j) => `${runId}:${i + j}`).sort();
    const values = new Array<string>(n).fill(value);
    const versions = Array.from({ length: n }, (_, j) => 1_700_000_000_000_000 + i + j);
    await upsertBatch(db, keys, values, versions);
  }
  const seconds = (performance.now() - started) / 1000;
  await db.end();
  return rows / seconds;
}
