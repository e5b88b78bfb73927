// Upgrading from the release before partitions (see release.ts): its one stream (`<prefix>stream`) may still
// hold acknowledged writes not yet persisted. Each flusher thread, before it starts on the
// partitioned streams, drains that stream into the database with a flusher of its own: under
// a lease and a cursor, as a partition is, reading the stream whole from its start (entries an
// old consumer left pending in its group included: the cursor starts before them), persisting,
// committing (which trims the stream), and giving the old hashes their TTL. The thread that
// finds the stream empty moves its dead letters to the partitions' dead-letter streams and
// deletes it; until then, reads and increments that miss the new layout look at
// the old hashes (reads.ts). Nothing acknowledged under the old layout is skipped.
import type { Config } from "../config";
import { connect } from "../cache/redis";
import type { Flusher } from "../flusher/flusher";
import { openFlusher } from "../flusher/open";
import { configKeys } from "../keys";
import { log } from "../log";
import type { Registry } from "../metrics";
import { legacyKeys } from "./keys";
import { hasLegacyStream, retireLegacy } from "./stream";

/** Drains the old release's stream, if there is one; `track` is told which flusher runs, so a stop can reach it. Resolves false when a stop cut it short. */
export async function drainLegacy(config: Config, index: number, processId: string, metrics: Registry, track: (f: Flusher | undefined) => void): Promise<boolean> {
  const redis = connect({ url: config.REDIS_URL, cluster: config.REDIS_CLUSTER }, "flusher", config.REDIS_COMMAND_TIMEOUT_MS);
  try {
    for (let round = 0; await hasLegacyStream(redis, config.KEY_PREFIX); round++) {
      if (round === 0) log.info("draining the write stream of the release before partitions", { thread: index });
      const f = openFlusher(config, legacyKeys(config.KEY_PREFIX), index, metrics, { claimOwner: true, upgrade: true }, processId);
      track(f);
      const drained = await f.run();
      await f.close();
      track(undefined);
      if (!drained) return false;
      if (await retireLegacy(redis, configKeys(config), config.KEY_PREFIX)) {
        log.info("the stream of the release before partitions is persisted and removed", { thread: index });
        return true;
      }
      await Bun.sleep(100); // entries still pending on another thread, or newly written: look again
    }
    return true;
  } finally {
    redis.disconnect();
  }
}
