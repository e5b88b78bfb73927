// Start-up checks of the Redis we were given. A write-back cache keeps acknowledged writes
// only in Redis until they are flushed: eviction of the wrong keys or no persistence can
// lose them.
//
// Eviction: writeback gives only clean (persisted) cache entries a TTL; the stream and dirty
// entries never have one. So `noeviction` and the `volatile-*` policies (which evict only
// keys with a TTL) are safe; an `allkeys-*` policy can evict the stream and unpersisted
// writes, and writeback refuses to run with it unless told it is acceptable.
//
// On a Redis Cluster every master is checked: each holds its slots' streams and entries.
import type Redis from "ioredis";
import { FatalError } from "../fatal";
import { log } from "../log";
import { isCluster, type WritebackRedis } from "./redis";

export async function checkRedisSafety(redis: WritebackRedis, o: { allowAllkeysEviction: boolean }): Promise<void> {
  const nodes = isCluster(redis) ? redis.nodes("master") : [redis as Redis];
  for (const node of nodes) await checkNode(node, o);
}

async function checkNode(redis: Redis, o: { allowAllkeysEviction: boolean }): Promise<void> {
  let policy: string | undefined, aof: string | undefined, save: string | undefined;
  try {
    [, policy] = (await redis.config("GET", "maxmemory-policy")) as string[];
    [, aof] = (await redis.config("GET", "appendonly")) as string[];
    [, save] = (await redis.config("GET", "save")) as string[];
  } catch (err) {
    // Managed Redis often disables CONFIG; say we could not check rather than stay silent.
    log.warn("could not read Redis configuration to check persistence and eviction", { err: String(err) });
    return;
  }
  if (policy?.startsWith("allkeys-")) {
    if (!o.allowAllkeysEviction) {
      throw new FatalError(
        "REDIS_EVICTION_UNSAFE",
        `Redis maxmemory-policy is ${policy}, which can evict unpersisted writes and the write stream: set maxmemory-policy to volatile-lru (or noeviction), or ALLOW_ALLKEYS_EVICTION=true to accept losing writes`,
      );
    }
    log.warn("UNSAFE: Redis maxmemory-policy evicts any key (ALLOW_ALLKEYS_EVICTION=true); unflushed writes can be lost", { policy });
  }
  if (aof !== "yes" && !save) {
    log.warn("UNSAFE: Redis has no persistence (appendonly no, no save points); a Redis restart loses unflushed writes");
  } else if (aof !== "yes") {
    log.warn("Redis runs without AOF; a Redis crash loses writes since the last snapshot", { save });
  }
}
