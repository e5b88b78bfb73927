// Recovery: entries delivered to a consumer that died (or hung) stay pending forever unless
// someone takes them over. Every FLUSH_CLAIM_INTERVAL_MS each thread claims entries idle for
// more than FLUSH_CLAIM_IDLE_MS (XAUTOCLAIM) and flushes them like its own.
import type { Config } from "../config";
import type { RawEntry } from "../cache/entry";
import type { ConsumerGroup } from "../cache/group";
import type { Registry } from "../metrics";
import { READ_CHUNK } from "./chunks";

/** Claims idle entries chunk by chunk; the loop flushes each chunk before the next is claimed. */
export async function* reclaimed(group: ConsumerGroup, config: Config, metrics: Registry): AsyncGenerator<RawEntry[]> {
  for (const p of group.partitions) {
    let cursor = "0-0";
    do {
      const { next, entries } = await group.claim(p, config.FLUSH_CLAIM_IDLE_MS, cursor, Math.min(config.FLUSH_BATCH, READ_CHUNK));
      if (entries.length > 0) {
        metrics.inc("writeback_reclaimed_entries_total", undefined, entries.length);
        yield entries;
      }
      cursor = next;
    } while (cursor !== "0-0");
  }
}
