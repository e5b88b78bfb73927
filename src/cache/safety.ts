// Startup checks of the Redis we were given. A write-back cache keeps acknowledged writes
// only in Redis until they are flushed: eviction or no persistence can lose them.
import type Redis from "ioredis";
import { log } from "../log";

export async function checkRedisSafety(redis: Redis): Promise<void> {
  try {
    const [, policy] = (await redis.config("GET", "maxmemory-policy")) as string[];
    const [, aof] = (await redis.config("GET", "appendonly")) as string[];
    const [, save] = (await redis.config("GET", "save")) as string[];
    if (policy !== "noeviction") {
      log.warn("UNSAFE: Redis maxmemory-policy is not noeviction; Redis may evict unflushed writes", { policy });
    }
    if (aof !== "yes" && !save) {
      log.warn("UNSAFE: Redis has no persistence (appendonly no, no save points); a Redis restart loses unflushed writes");
    } else if (aof !== "yes") {
      log.warn("Redis runs without AOF; a Redis crash loses writes since the last snapshot", { save });
    }
  } catch (err) {
    // Managed Redis often disables CONFIG; say we could not check rather than stay silent.
    log.warn("could not read Redis configuration to check persistence and eviction", { err: String(err) });
  }
}
