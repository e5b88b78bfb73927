// The one-stream release's stream (see release.ts): whether it is still there, and retiring
// it once its flusher drained it.
import { readEntry } from "../cache/entry";
import type { WritebackRedis } from "../cache/redis";
import type { Keys } from "../keys";
import { DEAD_MOVE_CHUNK } from "../tuning";
import { legacyKeys } from "./keys";

/** Whether the stream of the release before partitions still exists (its writes may not all be persisted). */
export async function hasLegacyStream(redis: WritebackRedis, prefix: string): Promise<boolean> {
  return (await redis.exists(legacyKeys(prefix).stream(0))) === 1;
}

/**
 * Deletes the old release's stream once it is empty (its flusher trims it as it commits, so
 * empty means persisted), after moving its dead letters to the partitions' dead-letter streams
 * (each once, retire.lua); false while entries are still there (another thread is persisting
 * them, or an old instance still writes).
 */
export async function retireLegacy(redis: WritebackRedis, k: Keys, prefix: string): Promise<boolean> {
  const old = legacyKeys(prefix);
  const stream = old.stream(0);
  if ((await redis.xlen(stream)) > 0) return false;
  let after = "-";
  for (;;) {
    const letters = (await redis.xrange(old.dead(0), after, "+", "COUNT", DEAD_MOVE_CHUNK)) as [string, string[]][];
    if (letters.length === 0) break;
    for (const [id, fields] of letters) {
      const key = readEntry(fields).key;
      await redis.wbRetire(old.dead(0), k.dead(key === undefined ? 0 : k.partition(key)), id);
    }
    after = `(${letters[letters.length - 1]![0]}`;
  }
  await redis.del(stream, old.dead(0), old.lease(0), old.cursor(0));
  return true;
}
