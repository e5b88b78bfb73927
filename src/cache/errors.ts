// The one place that reads Redis's and the scripts' error replies. Callers get typed errors
// and never look at a reply's words. The scripts refuse with a code as the first word:
// WBBACKLOG (the stream is longer than MAX_BACKLOG) or WBLAG (its oldest entry is older
// than MAX_LAG_MS), followed by a sentence for humans. A reply error is recognised with
// instanceof of the class ioredis exports, never by a name (`bun build --minify` renames
// classes; ioredis happens to spell this one out, which nothing promises).
import { ReplyError } from "ioredis";

/** Writes refused because the flusher is behind; nothing was written. */
export class BackpressureError extends Error {
  readonly code = "BACKPRESSURE";
  constructor(
    readonly limit: "backlog" | "lag",
    detail: string,
  ) {
    super(detail);
  }
}

/** Redis did not answer within the command timeout; the command may still be applied. */
export class CacheTimeoutError extends Error {
  readonly code = "CACHE_TIMEOUT";
  constructor(ms: number) {
    super(`Redis did not answer within ${ms} ms`);
  }
}

/** The write reached the master but not REDIS_WAIT_REPLICAS replicas in time: not acknowledged, though it may still land. */
export class ReplicationTimeoutError extends Error {
  readonly code = "REPLICATION_TIMEOUT";
  constructor(wanted: number, got: number, ms: number) {
    super(`the write reached Redis but ${got} of the ${wanted} replicas required (REDIS_WAIT_REPLICAS) within ${ms} ms`);
  }
}

/** The Redis error code is the first word of a reply error ("OOM", "NOGROUP", "WBBACKLOG"). */
export function redisErrorCode(err: unknown): string | undefined {
  if (err instanceof ReplyError) {
    return String((err as Error).message).split(" ", 1)[0];
  }
  return undefined;
}

/** A reply error (Redis answered, and said no), as opposed to a connection failure or timeout. */
export const isReplyError = (err: unknown) => redisErrorCode(err) !== undefined;

/** A dead letter older than the tombstone retention: re-driving it could undo a purged delete. */
export class ExpiredDeadLetterError extends Error {
  readonly code = "DEAD_LETTER_EXPIRED";
}

/** An increment of a value that is not a signed 64-bit integer; nothing was written. */
export class NotAnIntegerError extends Error {
  readonly code = "NOT_AN_INTEGER";
}

/** An increment whose result is outside the signed 64-bit range; nothing was written. */
export class OutOfRangeError extends Error {
  readonly code = "OUT_OF_RANGE";
}

/** Turns a script's refusal (backpressure, an expired dead letter) into a typed error; anything else as it is. */
export function fromScriptError(err: unknown): unknown {
  const code = redisErrorCode(err);
  if (code === "WBEXPIRED") return new ExpiredDeadLetterError((err as Error).message.slice(code.length + 1));
  if (code === "WBNOTINT") return new NotAnIntegerError((err as Error).message.slice(code.length + 1));
  if (code === "WBRANGE") return new OutOfRangeError((err as Error).message.slice(code.length + 1));
  if (code === "WBBACKLOG" || code === "WBLAG") {
    return new BackpressureError(code === "WBBACKLOG" ? "backlog" : "lag", (err as Error).message.slice(code.length + 1));
  }
  return err;
}
