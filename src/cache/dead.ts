// The dead-letter stream: entries the flusher gave up on, with why. The flusher moves entries
// in (moveToDead); the operator routes list them and re-drive them once the cause is fixed.
// The fields of a dead letter are those of its stream entry plus source_id, reason, error.
import type { Keys } from "../keys";
import { entryFields, readEntry, type EntryFields } from "./entry";
import { fromScriptError } from "./errors";
import type { WritebackRedis } from "./redis";

export interface DeadLetter {
  /** original stream entry id */
  id: string;
  fields: EntryFields | null;
  reason: string;
  error?: string;
}

/** Writes each letter and acknowledges its entry, atomically per script call (dead.lua). */
export async function moveToDead(redis: WritebackRedis, k: Keys, letters: DeadLetter[]): Promise<void> {
  // A few hundred letters per call: the script must not hold Redis for long.
  for (let i = 0; i < letters.length; i += 200) {
    const args: string[] = [];
    for (const l of letters.slice(i, i + 200)) {
      const fields = [...(l.fields ?? []), "source_id", l.id, "reason", l.reason, "error", l.error ?? ""];
      args.push(l.id, String(fields.length), ...fields);
    }
    await redis.wbDead(k.stream, k.dead, k.group, ...args);
  }
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

function viewDeadLetter([id, fields]: [string, string[]]): DeadLetterView {
  const e = readEntry(fields);
  const f = entryFields(fields);
  return {
    id,
    key: e.key ?? null,
    value: e.value ?? null,
    version: e.version ?? null,
    sourceId: f.get("source_id") ?? null,
    reason: f.get("reason") ?? null,
    error: f.get("error") ?? null,
  };
}

/** Up to `count` dead letters after the id `after` (exclusive), oldest first. */
export async function listDead(redis: WritebackRedis, k: Keys, count: number, after?: string) {
  const entries = await redis.xrange(k.dead, after ? `(${after}` : "-", "+", "COUNT", count);
  return entries.map(viewDeadLetter);
}

/**
 * Moves dead letters back into the write stream (redrive.lua), at most a thousand ids per
 * script call. Refused with BackpressureError when the backlog would pass `maxBacklog`, and
 * with ExpiredDeadLetterError when one holds a version below `minVersion` (0: any).
 */
export async function redrive(redis: WritebackRedis, k: Keys, ids: string[], maxBacklog: number, minVersion: number): Promise<number> {
  let moved = 0;
  for (let i = 0; i < ids.length; i += 1000) {
    try {
      moved += await redis.wbRedrive(k.dead, k.stream, maxBacklog, minVersion, ...ids.slice(i, i + 1000));
    } catch (err) {
      throw fromScriptError(err);
    }
  }
  return moved;
}
