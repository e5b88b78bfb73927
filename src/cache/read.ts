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

export async function streamStats(redis: WritebackRedis, k: Keys): Promise<StreamStats> {
  const [backlog, oldest, deadLetters] = await Promise.all([
    redis.xlen(k.stream),
    redis.xrange(k.stream, "-", "+", "COUNT", 1),
    redis.xlen(k.dead),
  ]);
  const ms = oldest[0] ? idTimeMs(oldest[0][0]) : Date.now();
  return { backlog, oldestAgeMs: Math.max(0, Date.now() - ms), deadLetters };
}
