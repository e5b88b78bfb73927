// What an answer means for the checker: whether a write happened (acknowledged, certainly
// not, or perhaps), and which answers the API may give at all. The one place these rules live.
import type { Op } from "./history";

/** ok: acknowledged. failed: certainly not applied. unknown: may or may not have happened, and may still land. */
export type Outcome = "ok" | "failed" | "unknown";

export const WRITES = new Set(["set", "del", "incr", "mset", "mdel"]);

/**
 * 503 codes after which nothing was written: BACKPRESSURE (README: "nothing was written"),
 * SHUTTING_DOWN (refused before the write is applied, src/http/writes.ts) and DB_UNAVAILABLE
 * (a write's only database access is /incr reading its base before writing anything). Every
 * other 503 (REDIS_UNAVAILABLE: "may still land"), a 500, a reset connection or a timeout
 * leaves the write unknown.
 */
const NOTHING_WRITTEN = new Set(["BACKPRESSURE", "SHUTTING_DOWN", "DB_UNAVAILABLE"]);

export function outcomeOf(op: Op): Outcome {
  if (op.status === 200 || op.status === 202) return "ok";
  if (op.status === undefined) return op.code === "ECONNREFUSED" ? "failed" : "unknown"; // refused: never reached the service
  if (op.status >= 400 && op.status < 500) return "failed";
  if (op.status === 503 && op.code !== undefined && NOTHING_WRITTEN.has(op.code)) return "failed";
  return "unknown";
}

/** Why an answer is not one the API may give to these (valid) requests, or undefined when it may. */
export function unexpectedAnswer(op: Op): string | undefined {
  if (op.kind === "fault" || op.status === undefined || op.status === 503) return undefined;
  if (WRITES.has(op.kind)) {
    if (op.status === 200) return undefined;
    if (op.status === 202 && op.waitMs !== undefined && op.persisted === false) return undefined;
    return `a write answered ${op.status} ${op.code ?? ""}`.trimEnd();
  }
  if (op.status === 200) return undefined;
  if (op.status === 404 && (op.kind === "get" || op.kind === "status") && op.code === "NOT_FOUND") return undefined;
  return `a read answered ${op.status} ${op.code ?? ""}`.trimEnd();
}
