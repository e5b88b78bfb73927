// Recovery: entries delivered to a consumer that died (or hung) stay pending forever unless
// someone takes them over. Every FLUSH_CLAIM_INTERVAL_MS each thread claims entries idle for
// more than FLUSH_CLAIM_IDLE_MS (XAUTOCLAIM) and flushes them like its own.
import type { Config } from "../config";
import type { WritebackRedis } from "../cache/redis";
import type { Keys } from "../keys";
import type { Registry } from "../metrics";
import type { RawEntry } from "./coalesce";
import { READ_CHUNK } from "./chunks";

export async function reclaim(
  redis: WritebackRedis,
  k: Keys,
  consumer: string,
  config: Config,
  metrics: Registry,
  flush: (entries: RawEntry[]) => Promise<void>,
): Promise<void> {
  let cursor = "0-0";
  do {
    const [next, entries] = (await redis.xautoclaim(
      k.stream,
      k.group,
      consumer,
      config.FLUSH_CLAIM_IDLE_MS,
      cursor,
      "COUNT",
      Math.min(config.FLUSH_BATCH, READ_CHUNK),
    )) as [string, RawEntry[], string[]?];
    if (entries.length > 0) {
      metrics.inc("writeback_reclaimed_entries_total", undefined, entries.length);
      await flush(entries);
    }
    cursor = next;
  } while (cursor !== "0-0");
}

/** How often each of `ids` (all pending on `consumer`) has been delivered. */
export async function deliveryCounts(
  redis: WritebackRedis,
  k: Keys,
  consumer: string,
  ids: string[],
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  if (ids.length === 0) return counts;
  const rows = (await redis.xpending(k.stream, k.group, ids[0]!, ids[ids.length - 1]!, ids.length, consumer)) as [
    string,
    string,
    number,
    number,
  ][];
  for (const [id, , , delivered] of rows) counts.set(id, delivered);
  return counts;
}
