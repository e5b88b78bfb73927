// The dead-letter stream: entries the flusher gave up on, with why. The flusher moves entries
// in (commit.lua, with the commit that moves the cursor past them); the operator routes list
// them and re-drive them once the cause is fixed.
// The fields of a dead letter are those of its stream entry plus source_id, reason, error.
// Each partition has its own dead-letter stream (in its slot, so that commit.lua moves an entry
// in one step); ids here are partition-qualified (`<ms>-<seq>@<p>`, keys.ts), and a listing
// merges the partitions oldest first.
import { qualify, unqualify, type Keys } from "../keys";
import { entryFields, readEntry, type EntryFields } from "./entry";
import { BackpressureError, ExpiredDeadLetterError, fromScriptError, isReplyError } from "./errors";
import { compareIds } from "./ids";
import type { WritebackRedis } from "./redis";
import { REDRIVE_CHUNK } from "../tuning";

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

/** What a redrive did: the (qualified) ids it moved back to the stream, and those it left as expired. */
export interface Redriven {
  moved: string[];
  expired: string[];
}

/**
 * The redrive moved some letters, then a call was refused or failed: the answer names what
 * moved and what did not, so the caller can retry (a retry moves only what is still dead).
 */
export class PartialRedriveError extends Error {
  readonly code = "PARTIAL_REDRIVE";
  constructor(
    /** the failure of the call that did not go through (BackpressureError, a connection error) */
    readonly cause: unknown,
    readonly moved: string[],
    /** ids of the failed call, when it may have been applied all the same (no answer) */
    readonly unknown: string[],
    readonly notMoved: string[],
  ) {
    super(
      [
        `re-drove ${moved.length} dead letter${moved.length === 1 ? "" : "s"}${moved.length ? ` (${listIds(moved)})` : ""}, then ${reasonOf(cause)}`,
        unknown.length ? `; not known whether these moved: ${listIds(unknown)}` : "",
        notMoved.length ? `; not re-driven: ${listIds(notMoved)}` : "",
        "; a retry re-drives only what is still a dead letter",
      ].join(""),
    );
  }
}

const reasonOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Up to 20 ids, then how many more: an error message stays readable for 10,000 ids. */
function listIds(ids: string[], most = 20): string {
  return ids.length <= most ? ids.join(", ") : `${ids.slice(0, most).join(", ")} and ${ids.length - most} more`;
}

/** The most ids in one redrive.lua call: the script must not hold Redis for long. */

/**
 * Moves dead letters back into the write stream (redrive.lua). A request's letters span
 * partitions, one script call each (and one per thousand ids): on a Redis Cluster they are in
 * different slots, and no single call can see them all. So every partition is checked first
 * ('check': nothing moves), and only then are they moved ('move'):
 *   - one over its share of MAX_BACKLOG refuses the whole request (BackpressureError naming the
 *     partition), before anything moved;
 *   - an expired letter (a version below `minVersion`, 0: any) refuses the whole request
 *     (ExpiredDeadLetterError naming every expired id) unless `leaveExpired`: then it is left
 *     and reported in `expired`;
 *   - a letter that is no write stays dead and is reported nowhere; so is an id not found.
 * The expiry of a letter cannot change between the check and the move (its version does
 * not, and `minVersion` is fixed per request); the backlog can: writes that arrive in between
 * can fill a partition after earlier ones moved. That, or Redis failing between calls, is a
 * PartialRedriveError naming what moved and what did not.
 */
export async function redrive(
  redis: WritebackRedis,
  k: Keys,
  ids: string[],
  maxBacklog: number,
  minVersion: number,
  o: { leaveExpired?: boolean } = {},
): Promise<Redriven> {
  const calls: { p: number; ids: string[] }[] = [];
  for (const [p, part] of byPartition(ids, (id) => id)) {
    const local = part.map((x) => x.id);
    for (let i = 0; i < local.length; i += REDRIVE_CHUNK) calls.push({ p, ids: local.slice(i, i + REDRIVE_CHUNK) });
  }
  const call = async (c: { p: number; ids: string[] }, mode: "check" | "move", earlier: number) => {
    try {
      const [movable, expired] = await redis.wbRedrive(k.dead(c.p), k.stream(c.p), maxBacklog, minVersion, mode, earlier, ...c.ids);
      return { movable: movable.map((id) => qualify(id, c.p)), expired: expired.map((id) => qualify(id, c.p)) };
    } catch (err) {
      const typed = fromScriptError(err);
      if (typed instanceof BackpressureError) throw new BackpressureError(typed.limit, `partition ${c.p}: ${typed.message}`);
      throw typed;
    }
  };

  const expired: string[] = [];
  const counted = new Map<number, number>();
  for (const c of calls) {
    const r = await call(c, "check", counted.get(c.p) ?? 0);
    counted.set(c.p, (counted.get(c.p) ?? 0) + r.movable.length);
    expired.push(...r.expired);
  }
  if (expired.length && !o.leaveExpired) {
    throw new ExpiredDeadLetterError(
      `${expired.length === 1 ? "dead letter" : `${expired.length} dead letters`} older than the tombstone retention (TOMBSTONE_RETENTION_MS): ${listIds(expired)}`,
    );
  }

  const moved: string[] = [];
  for (const [i, c] of calls.entries()) {
    try {
      moved.push(...(await call(c, "move", 0)).movable);
    } catch (err) {
      // A refusal (a reply error) moved nothing of its call; a call without an answer may have.
      const refused = isReplyError(err) || err instanceof BackpressureError || err instanceof ExpiredDeadLetterError;
      const rest = calls.slice(i + 1).flatMap((x) => x.ids.map((id) => qualify(id, x.p)));
      const mine = c.ids.map((id) => qualify(id, c.p));
      if (moved.length === 0 && refused) throw err; // nothing moved: the plain refusal says it all
      throw new PartialRedriveError(err, moved, refused ? [] : mine, refused ? [...mine, ...rest] : rest);
    }
  }
  return { moved, expired };
}
