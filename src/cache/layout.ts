// The deployment's Redis layout: how many partitions its data is written with. A key's stream
// and cache hash depend on STREAM_PARTITIONS (keys.ts), so instances started with different
// counts against the same data would split keys between layouts: each would read its own
// hashes and streams and miss the other's unpersisted writes. The count is recorded in
// `<prefix>meta` by the first instance and every later one must match it.
//
// Changing the count (docs/scaling.md) deletes that record. Then nothing a count wrote may be
// left where the new count does not look: writes in streams it does not read (or whose keys
// now belong to other partitions) refuse the start, and dead letters of partitions above it
// are moved into its partitions. Partitions above the count are looked at up to the highest
// count there can be (MAX_PARTITIONS), since the old count is not recorded any more.
//
// The layout of the release before partitions (one stream) is src/legacy/'s.
import { MAX_PARTITIONS } from "../config";
import { FatalError } from "../fatal";
import { errorFields, log } from "../log";
import type { Keys } from "../keys";
import { readEntry } from "./entry";
import type { WritebackRedis } from "./redis";
import { DEAD_MOVE_CHUNK } from "../tuning";

export class LayoutMismatchError extends FatalError {
  constructor(message: string) {
    super("LAYOUT_MISMATCH", message);
  }
}

/**
 * Records the partition count on first use; throws LayoutMismatchError when the data was
 * written with another count, or holds writes this count would never read. Then moves the dead
 * letters of partitions above the count to where this count looks for them.
 */
export async function checkLayout(redis: WritebackRedis, k: Keys, prefix: string): Promise<void> {
  // Read first: a Redis at maxmemory refuses the write, but a recorded count can still be checked.
  let found = await redis.hget(k.meta, "partitions");
  const unrecorded = found === null;
  if (unrecorded) {
    // A first start, or a changed count (docs/scaling.md): whatever the streams hold must be
    // read under this count, before it is recorded (a refusal leaves the old count startable).
    await checkStreams(redis, k, prefix, true);
    await redis.hsetnx(k.meta, "partitions", k.partitions);
    found = await redis.hget(k.meta, "partitions");
  }
  const recorded = Number(found);
  if (recorded !== k.partitions) {
    throw new LayoutMismatchError(
      `STREAM_PARTITIONS is ${k.partitions}, but the data under KEY_PREFIX=${JSON.stringify(prefix)} in this Redis was written with STREAM_PARTITIONS=${recorded}: start with STREAM_PARTITIONS=${recorded}, or change it as docs/scaling.md describes (stop every instance, then delete ${k.meta})`,
    );
  }
  // Also with the count recorded: an instance started with the old count before the change
  // may still have written to partitions this count does not have.
  if (!unrecorded) await checkStreams(redis, k, prefix, false);
  // Not a reason to refuse writes (a Redis at maxmemory refuses the copies): the next start
  // tries again.
  await adoptDeadLetters(redis, k).catch((err) =>
    log.warn("could not move the dead letters of partitions above STREAM_PARTITIONS; the next start tries again", errorFields(err)),
  );
}

/** partitions lo..hi-1 */
const range = (lo: number, hi: number) => Array.from({ length: Math.max(0, hi - lo) }, (_, i) => lo + i);
const named = (ps: number[]) => `partition${ps.length === 1 ? "" : "s"} ${ps.join(", ")}`;

/**
 * Throws LayoutMismatchError when a write stream holds entries this count would never read
 * correctly: any in a partition at or above the count (no flusher thread reads it), and, when
 * no count is recorded (`unrecorded`), any in a partition below it whose key belongs to another
 * partition under this count (its write's value would be looked for in another hash, and
 * increments would count on from the database). A count that divides the old one keeps every
 * key in its partition (crc32 mod 4 of a key of partition 6 of 16 is 2, and so is its stream).
 */
async function checkStreams(redis: WritebackRedis, k: Keys, prefix: string, unrecorded: boolean): Promise<void> {
  const above = range(k.partitions, MAX_PARTITIONS);
  const lens = await Promise.all(above.map((p) => redis.xlen(k.stream(p))));
  const stranded = above.filter((_, i) => lens[i]! > 0);
  const fix = `start with the STREAM_PARTITIONS they were written with and stop it with SIGTERM, so that they drain into the database, then change the count as docs/scaling.md describes`;
  if (stranded.length) {
    const n = lens.reduce((a, b) => a + b, 0);
    throw new LayoutMismatchError(
      `STREAM_PARTITIONS is ${k.partitions}, but the write streams of ${named(stranded)} under KEY_PREFIX=${JSON.stringify(prefix)} hold ${n} writes not yet persisted, written with a larger STREAM_PARTITIONS (its instances were not all stopped and drained): this count would never read them. ${unrecorded ? `S${fix.slice(1)}` : `Stop every instance, delete ${k.meta}, ${fix}`}`,
    );
  }
  if (!unrecorded) return;
  const samples = await Promise.all(range(0, k.partitions).map((p) => redis.xrange(k.stream(p), "-", "+", "COUNT", 10) as Promise<[string, string[]][]>));
  const misplaced = samples.flatMap((entries, p) =>
    entries.some(([, fields]) => {
      const key = readEntry(fields).key;
      return key !== undefined && k.partition(key) !== p;
    })
      ? [p]
      : [],
  );
  if (misplaced.length) {
    throw new LayoutMismatchError(
      `STREAM_PARTITIONS is ${k.partitions}, but the write streams of ${named(misplaced)} under KEY_PREFIX=${JSON.stringify(prefix)} hold writes not yet persisted, of keys that belong to other partitions under this count: they were written with another STREAM_PARTITIONS; ${fix}`,
    );
  }
}

/**
 * Moves every dead letter of a partition at or above the count (left there when the count was
 * lowered) into the dead-letter stream of its key's partition under this count (partition 0 for
 * a letter without a key), where listing, the metric and redrive find it. The two streams are in
 * different slots on a Redis Cluster, so a letter is copied and then deleted; when the delete
 * finds it gone, another instance starting at the same time moved it first, and the copy is
 * deleted again. A crash between the two steps leaves a letter twice: re-driving both is
 * harmless (the version guard), losing one is not.
 */
async function adoptDeadLetters(redis: WritebackRedis, k: Keys): Promise<void> {
  const above = range(k.partitions, MAX_PARTITIONS);
  const lens = await Promise.all(above.map((p) => redis.xlen(k.dead(p))));
  let moved = 0;
  for (const p of above.filter((_, i) => lens[i]! > 0)) {
    for (;;) {
      const letters = (await redis.xrange(k.dead(p), "-", "+", "COUNT", DEAD_MOVE_CHUNK)) as [string, string[]][];
      if (letters.length === 0) break;
      const targets = letters.map(([, fields]) => {
        const key = readEntry(fields).key;
        return k.dead(key === undefined ? 0 : k.partition(key));
      });
      const copies = await Promise.all(letters.map(([, fields], i) => redis.xadd(targets[i]!, "*", ...fields) as Promise<string>));
      const deleted = await Promise.all(letters.map(([id]) => redis.xdel(k.dead(p), id)));
      await Promise.all(deleted.map((d, i) => (d === 0 ? redis.xdel(targets[i]!, copies[i]!) : undefined)));
      moved += deleted.filter((d) => d === 1).length;
    }
  }
  if (moved > 0) {
    log.warn("moved dead letters of partitions above STREAM_PARTITIONS to their keys' partitions", { moved, partitions: k.partitions });
  }
}
