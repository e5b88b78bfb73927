// The dead-letter stream: entries the flusher gave up on, with why. The flusher moves entries
// in (commit.lua, with the commit that moves the cursor past them); the operator routes list
// them and re-drive them once the cause is fixed.
// The fields of a dead letter are those of its stream entry plus source_id, reason, error.
// Each partition has its own dead-letter stream (in its slot, so that commit.lua moves an entry
// in one step); ids here are partition-qualified (`<ms>-<seq>@<p>`, keys.ts), and a listing
// merges the partitions oldest first.
import { qualify, unqualify, type Keys } from "../keys";
import { entryFields, readEntry, type EntryFields } from "./entry";
import { fromScriptError } from "./errors";
import { compareIds } from "./ids";
import type { WritebackRedis } from "./redis";

export interface DeadLetter {
  /** original stream entry id, partition-qualified */
  id: string;
  fields: EntryFields | null;
  reason: string;
  error?: string;
}

/** `items` grouped by the partition of their qualified id, with the stream id; malformed ids are left out. */
export function byPartition<T>(items: T[], qid: (t: T) => string): Map<number, { item: T; id: string; p: number }[]> {
  const parsed = items.flatMap((item) => {
    const q = unqualify(qid(item));
    return q ? [{ item, ...q }] : [];
  });
  return Map.groupBy(parsed, (x) => x.p);
}

export interface DeadLetterView {
  id: string;
  key: string | null;
  value: string | null;
  version: number | null;
  sourceId: string | null;
  reason: string | null;
  error: string | null;
}

function viewDeadLetter([id, fields]: [string, string[]], p: number): DeadLetterView {
  const e = readEntry(fields);
  const f = entryFields(fields);
  return {
    id: qualify(id, p),
    key: e.key ?? null,
    value: e.value ?? null,
    version: e.version ?? null,
    sourceId: f.get("source_id") ?? null,
    reason: f.get("reason") ?? null,
    error: f.get("error") ?? null,
  };
}

/**
 * Up to `count` dead letters after the qualified id `after` (exclusive), oldest first across
 * partitions (ties in id by partition). Rejects a malformed `after` with the Redis error it makes.
 */
export async function listDead(redis: WritebackRedis, k: Keys, count: number, after?: string): Promise<DeadLetterView[]> {
  const from = after === undefined ? undefined : unqualify(after);
  if (after !== undefined && !from) throw new Error(`not a dead-letter id: ${after}`);
  const parts = await Promise.all(
    Array.from({ length: k.partitions }, async (_, p) => {
      // Equal ids in later partitions come after `after` in the merged order.
      const start = !from ? "-" : p > from.p ? from.id : `(${from.id}`;
      const entries = (await redis.xrange(k.dead(p), start, "+", "COUNT", count)) as [string, string[]][];
      return entries.map((e) => ({ e, p }));
    }),
  );
  return parts
    .flat()
    .sort((a, b) => compareIds(a.e[0], b.e[0]) || a.p - b.p)
    .slice(0, count)
    .map(({ e, p }) => viewDeadLetter(e, p));
}

/**
 * Moves dead letters back into the write stream (redrive.lua), at most a thousand ids per
 * script call. Refused with BackpressureError when the backlog would pass `maxBacklog`, and
 * with ExpiredDeadLetterError when one holds a version below `minVersion` (0: any).
 */
export async function redrive(redis: WritebackRedis, k: Keys, ids: string[], maxBacklog: number, minVersion: number): Promise<number> {
  let moved = 0;
  for (const [p, part] of byPartition(ids, (id) => id)) {
    const local = part.map((x) => x.id);
    for (let i = 0; i < local.length; i += 1000) {
      try {
        moved += await redis.wbRedrive(k.dead(p), k.stream(p), maxBacklog, minVersion, ...local.slice(i, i + 1000));
      } catch (err) {
        throw fromScriptError(err);
      }
    }
  }
  return moved;
}
