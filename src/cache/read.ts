// Reads of the cache and of the stream's state, for the HTTP routes and /metrics.
import type { Keys } from "../keys";
import { idTimeMs } from "./entry";
import type { WritebackRedis } from "./redis";

/** The cached value and version of `key`, or undefined on a miss. */
export async function readCached(redis: WritebackRedis, k: Keys, key: string): Promise<{ value: string; version: number } | undefined> {
  const [value, ver] = await redis.hmget(k.cache(key), "v", "ver");
  return value != null && ver != null ? { value, version: Number(ver) } : undefined;
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
