// The deployment's Redis layout: how many partitions its data is written with. A key's stream
// and cache hash depend on STREAM_PARTITIONS (keys.ts), so instances started with different
// counts against the same data would split keys between layouts: each would read its own
// hashes and streams and miss the other's unpersisted writes. The count is recorded in
// `<prefix>meta` by the first instance and every later one must match it.
//
// The release before partitions wrote one stream (`<prefix>stream`) and hashes without a hash
// tag (legacyKeys). Its data is still read: the flusher threads drain its stream into the
// database (flusher/upgrade.ts) and, until that stream is gone, a read or an increment that
// misses the new layout looks at the old hash.
import { FatalError } from "../fatal";
import { legacyKeys, type Keys } from "../keys";
import { readEntry } from "./entry";
import type { WritebackRedis } from "./redis";

export class LayoutMismatchError extends FatalError {
  constructor(message: string) {
    super("LAYOUT_MISMATCH", message);
  }
}

/** Records the partition count on first use; throws LayoutMismatchError when the data was written with another. */
export async function checkLayout(redis: WritebackRedis, k: Keys, prefix: string): Promise<void> {
  // Read first: a Redis at maxmemory refuses the write, but a recorded count can still be checked.
  let found = await redis.hget(k.meta, "partitions");
  if (found === null) {
    await redis.hsetnx(k.meta, "partitions", k.partitions);
    found = await redis.hget(k.meta, "partitions");
  }
  const recorded = Number(found);
  if (recorded !== k.partitions) {
    throw new LayoutMismatchError(
      `STREAM_PARTITIONS is ${k.partitions}, but the data under KEY_PREFIX=${JSON.stringify(prefix)} in this Redis was written with STREAM_PARTITIONS=${recorded}: start with STREAM_PARTITIONS=${recorded}, or change it as docs/scaling.md describes (stop every instance, then delete ${k.meta})`,
    );
  }
}

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
    const letters = (await redis.xrange(old.dead(0), after, "+", "COUNT", 500)) as [string, string[]][];
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
