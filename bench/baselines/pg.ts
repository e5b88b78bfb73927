// B-pg: the database's ceiling for a drain. The flusher's upsert statement alone, from one
// connection, with the same rows and batch size the flusher sends: `rows` distinct new keys
// in batches of `batch`, each its own transaction (as each flush is).
import { PostgresStore } from "../../src/store/postgres/store";

export async function upsertCeiling(url: string, rows: number, batch: number, runId: string): Promise<number> {
  const store = new PostgresStore({ url, max: 1, statementTimeoutMs: 60_000, lockTimeoutMs: 10_000 });
  const value = "x".repeat(32);
  const started = performance.now();
  for (let i = 0; i < rows; i += batch) {
    const n = Math.min(batch, rows - i);
    const keys = Array.from({ length: n }, (_, j) => `${runId}:${i + j}`).sort();
    await store.upsert(keys.map((key, j) => ({ key, value, version: 1_700_000_000_000_000 + i + j })));
  }
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  return rows / seconds;
}
