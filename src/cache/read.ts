// Reads of the cache and of the stream's state, for the HTTP routes and /metrics.
import type { Keys } from "../keys";
import { idTimeMs } from "./entry";
import type { WritebackRedis } from "./redis";

/** A cache entry: a value, or a tombstone (the key was deleted at that version). */
export type CachedEntry = { deleted: false; value: string; version: number } | { deleted: true; version: number };

/** The cache entry of `key`, or undefined on a miss. A hash with a version and no value is a tombstone (set.lua). */
export async function readCached(redis: WritebackRedis, k: Keys, key: string): Promise<CachedEntry | undefined> {
  const [value, ver] = await redis.hmget(k.cache(key), "v", "ver");
  if (ver == null) return undefined;
  return value == null ? { deleted: true, version: Number(ver) } : { deleted: false, value, version: Number(ver) };
}

export interface StreamStats {
  /** stream length: an upper bound of the writes not yet persisted */
  backlog: number;
  /** age of the oldest entry still in the stream, ms (0 when empty) */
  oldestAgeMs: number;
  deadLetters: number;
}

/** The backlog and dead letters of all partitions together, and the age of the oldest entry of any. */
export async function streamStats(redis: WritebackRedis, k: Keys): Promise<StreamStats> {
  const parts = await Promise.all(
    Array.from({ length: k.partitions }, (_, p) =>
      Promise.all([redis.xlen(k.stream(p)), redis.xrange(k.stream(p), "-", "+", "COUNT", 1), redis.xlen(k.dead(p))]),
    ),
  );
  let backlog = 0;
  let deadLetters = 0;
  let ms = Date.now();
  for (const [len, oldest, dead] of parts) {
    backlog += len;
    deadLetters += dead;
    if (oldest[0]) ms = Math.min(ms, idTimeMs(oldest[0][0]));
  }
  return { backlog, oldestAgeMs: Math.max(0, Date.now() - ms), deadLetters };
}

/** Entries in every partition's stream: an upper bound of the writes not yet persisted. */
export async function backlog(redis: WritebackRedis, k: Keys): Promise<number> {
  const lens = await Promise.all(Array.from({ length: k.partitions }, (_, p) => redis.xlen(k.stream(p))));
  return lens.reduce((a, b) => a + b, 0);
}

/** Bytes Redis holds for every partition's stream (MEMORY USAGE, all of each stream sampled). */
export async function streamBytes(redis: WritebackRedis, k: Keys): Promise<number> {
  const sizes = await Promise.all(Array.from({ length: k.partitions }, (_, p) => redis.call("MEMORY", "USAGE", k.stream(p), "SAMPLES", "0")));
  return sizes.reduce<number>((a, b) => a + Number(b ?? 0), 0);
}
