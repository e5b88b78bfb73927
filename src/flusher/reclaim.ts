// Recovery: entries delivered to a consumer that died (or hung) stay pending forever unless
// someone takes them over. Every FLUSH_CLAIM_INTERVAL_MS each thread claims entries idle for
// more than FLUSH_CLAIM_IDLE_MS (XAUTOCLAIM) and hands them to `flush` like its own.
import type { Config } from "../config";
import type { RawEntry } from "../cache/entry";
import type { ConsumerGroup } from "../cache/group";
import type { Registry } from "../metrics";
import { READ_CHUNK } from "./chunks";

export async function reclaim(
  group: ConsumerGroup,
  config: Config,
  metrics: Registry,
  flush: (entries: RawEntry[]) => Promise<void>,
): Promise<void> {
  let cursor = "0-0";
  do {
    const { next, entries } = await group.claim(config.FLUSH_CLAIM_IDLE_MS, cursor, Math.min(config.FLUSH_BATCH, READ_CHUNK));
    if (entries.length > 0) {
      metrics.inc("writeback_reclaimed_entries_total", undefined, entries.length);
      await flush(entries);
    }
    cursor = next;
  } while (cursor !== "0-0");
}
