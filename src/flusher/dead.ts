// The dead-letter stream: entries the flusher gave up on, with why. An operator lists them
// (GET /dead-letters) and re-drives them (POST /dead-letters/redrive) once the cause is fixed.
import type { WritebackRedis } from "../cache/redis";
import type { Keys } from "../keys";

export interface DeadLetter {
  /** original stream entry id */
  id: string;
  fields: string[] | null;
  reason: string;
  error?: string;
}

export async function deadLetter(redis: WritebackRedis, k: Keys, letters: DeadLetter[]): Promise<void> {
  if (letters.length === 0) return;
  const pipe = redis.pipeline();
  for (const l of letters) {
    pipe.xadd(k.dead, "*", ...(l.fields ?? []), "source_id", l.id, "reason", l.reason, "error", l.error ?? "");
  }
  const results = (await pipe.exec()) ?? [];
  for (const [err] of results) if (err) throw err;
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

export function viewDeadLetter([id, fields]: [string, string[]]): DeadLetterView {
  const get = (name: string) => {
    for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1]!;
    return null;
  };
  const ver = get("ver");
  return {
    id,
    key: get("k"),
    value: get("v"),
    version: ver !== null && /^\d+$/.test(ver) ? Number(ver) : null,
    sourceId: get("source_id"),
    reason: get("reason"),
    error: get("error"),
  };
}
