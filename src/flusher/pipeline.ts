// One batch, from stream entries to what its commit must say: coalesce, complete values from
// the cache, persist under the version guard (splitting around rows the database rejects), and
// decide what goes to the dead letters. Nothing here moves a cursor: the caller commits the
// outcome (commit.lua) only after this returned, so an entry leaves the stream only into the
// database or into the dead letters.
import type { DeadLetter } from "../cache/dead";
import { encodeEntry, idTimeMs, type RawEntry } from "../cache/entry";
import { log } from "../log";
import type { Registry } from "../metrics";
import type { Store } from "../store/store";
import { coalesce, type EntryRow } from "./coalesce";
import { crashOnKey, crashPoint } from "../crash";
import { persist } from "./persist";
import { lettersWithValues, withValues, type ReadValues } from "./values";

export interface PipelineDeps {
  store: Store;
  values: ReadValues;
  metrics: Registry;
  /** FLUSH_BATCH_BYTES: the most one statement carries */
  maxStatementBytes: number;
  /** runs a step until it succeeds; undefined when the drain ran out of time (retry.ts) */
  retrying<T>(step: string, work: () => Promise<T>): Promise<T | undefined>;
  /** told the rows of each commit (keys at their versions), before the stream learns of it */
  onCommitted?: (rows: EntryRow[]) => void;
  /** called after each statement ended (persist.ts): the thread's liveness */
  alive?: () => void;
}

export interface Outcome {
  /** rows now in the database (or a newer version of them): their cache entries may turn clean */
  committed: EntryRow[];
  /** entries given up on, each with why: written to the dead letters by the commit */
  dead: DeadLetter[];
  /** how many entries the rows stand for */
  entries: number;
}

/**
 * Persists `entries` (a batch of one or more partitions); undefined when a drain ran out of
 * time before it was through (nothing of it may then be committed). `giveUp` names entries not
 * to persist at all but to dead-letter with their reason (an entry that crashed its owners).
 */
export async function persistBatch(entries: RawEntry[], d: PipelineDeps, giveUp = new Map<string, string>()): Promise<Outcome | undefined> {
  const dead: DeadLetter[] = [];
  const keep = giveUp.size === 0 ? entries : entries.filter(([id, fields]) => {
    const reason = giveUp.get(id);
    if (reason !== undefined) dead.push({ id, fields, reason: "too many deliveries", error: reason });
    return reason === undefined;
  });
  const { rows: coalesced, ids, poison } = coalesce(keep);
  for (const p of poison) dead.push({ id: p.id, fields: p.fields, reason: p.reason });
  const rows = await d.retrying("values", () => withValues(coalesced, dead, d.values, d.store));
  if (!rows) return undefined;
  let committed: EntryRow[] = [];
  if (rows.length > 0) {
    const result = await d.retrying("flush", () => {
      crashPoint("before-write");
      crashOnKey(rows);
      return persist(d.store, rows, d.maxStatementBytes, d.alive);
    });
    if (!result) return undefined;
    crashPoint("after-commit");
    observePersistLag(d.metrics, ids);
    for (const { row, error } of result.failed) {
      dead.push({
        id: row.id,
        fields: encodeEntry(row.key, row.value, row.version),
        reason: "rejected by the database",
        error: `${d.store.errorCode(error) ?? ""} ${(error as Error).message ?? error}`.trim(),
      });
    }
    if (result.splits > 0) log.warn("statements too slow or too large were split", { splits: result.splits });
    const failed = new Set(result.failed.map((f) => f.row));
    committed = rows.filter((r) => !failed.has(r));
    d.onCommitted?.(committed);
    d.metrics.inc("writeback_flushed_rows_total", undefined, result.written + result.skipped);
    d.metrics.inc("writeback_guard_skipped_rows_total", undefined, result.skipped);
    d.metrics.inc("writeback_batches_total");
    d.metrics.observe("writeback_batch_entries", keep.length);
  }
  if (dead.length === 0) return { committed, dead, entries: ids.length };
  const letters = await d.retrying("dead-letter values", () => lettersWithValues(dead, d.values));
  if (!letters) return undefined;
  return { committed, dead: letters, entries: ids.length };
}

function observePersistLag(metrics: Registry, ids: string[]): void {
  const now = Date.now();
  for (const id of ids) metrics.observe("writeback_persist_lag_seconds", Math.max(0, now - idTimeMs(id)) / 1000);
}
