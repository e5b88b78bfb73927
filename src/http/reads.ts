// What GET /get and POST /mget share of a source=cache read: counting what the cache held, and
// read-through, putting what the database answered for a miss back into the cache.
import type { ApiCache } from "../cache/api";
import type { CachedEntry } from "../cache/read";
import type { Registry } from "../metrics";
import type { Row } from "../store/store";

/** Counts one cache read by what it found: a value (hit), a tombstone, or nothing (miss). */
export function countRead(metrics: Registry, hit: CachedEntry | undefined): void {
  metrics.inc("writeback_cache_reads_total", { result: !hit ? "miss" : hit.deleted ? "tombstone" : "hit" });
}

/**
 * The fence of each missed key's partition, read before the database is (fence.lua); undefined
 * when Redis cannot give it: then nothing is filled, and the read is answered all the same.
 */
export function fencesOf(cache: ApiCache, keys: string[]): Promise<string[] | undefined> {
  return cache.fences(keys).catch(() => undefined);
}

/**
 * Fills the cache with rows read from the database for misses (each with the fence read
 * before the database was), each only if no write made an entry and no entry of its partition
 * was made clean meanwhile (fill.lua); a fill that fails (Redis full) costs the read nothing.
 */
export async function fillBack(cache: ApiCache, metrics: Registry, rows: Iterable<[string, Row, string]>): Promise<void> {
  const filled = await Promise.all([...rows].map(([key, row, fence]) => cache.fill(key, row.value, row.version, fence).catch(() => false)));
  const n = filled.filter(Boolean).length;
  if (n > 0) metrics.inc("writeback_cache_fills_total", undefined, n);
}
