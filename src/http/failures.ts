// The one place where a failure below the HTTP layer becomes what a client sees. src/cache/
// turns Redis's and the scripts' replies into typed errors (cache/errors.ts); here each typed
// error gets its code and status (src/errors.ts), and whatever else failed is the cache or
// the database being unavailable. The routes never pick a status for a failure themselves.
import { PartialRedriveError } from "../cache/dead";
import { BackpressureError, ExpiredDeadLetterError, isReplyError, NotAnIntegerError, OutOfRangeError, ReplicationTimeoutError } from "../cache/errors";
import {
  AppError,
  backlogFull,
  dbUnavailable,
  deadLetterExpired,
  invalid,
  notAnInteger,
  outOfRange,
  redisUnavailable,
  replicationTimeout,
} from "../errors";

/**
 * A failure of a cache call as the API answers it. `field`: the request field a Redis refusal
 * of its own (a reply error, e.g. a malformed stream id) is about: 422 naming it; without one,
 * a reply error is Redis being unavailable (OOM, a read-only replica, ...).
 */
export function fromCache(err: unknown, field?: string): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof PartialRedriveError) {
    // Some letters moved: the message says which, and which did not (dead.ts).
    const code = err.cause instanceof BackpressureError ? "BACKPRESSURE" : "REDIS_UNAVAILABLE";
    return new AppError(code, 503, err.message, { "Retry-After": "1" });
  }
  if (err instanceof BackpressureError) return backlogFull(err.message);
  if (err instanceof NotAnIntegerError) return notAnInteger(err.message);
  if (err instanceof OutOfRangeError) return outOfRange(err.message);
  if (err instanceof ExpiredDeadLetterError) return deadLetterExpired(err.message);
  if (err instanceof ReplicationTimeoutError) return replicationTimeout(err.message);
  if (field !== undefined && isReplyError(err)) return invalid(field, (err as Error).message);
  return redisUnavailable();
}

/** A failure of a database call as the API answers it: the database is unavailable (its own words are logged, never sent). */
export function fromStore(err: unknown): AppError {
  return err instanceof AppError ? err : dbUnavailable();
}

/** For `.catch()`: rethrows a cache call's failure as the API answers it. */
export const cacheFailed =
  (field?: string) =>
  (err: unknown): never => {
    throw fromCache(err, field);
  };

/** For `.catch()`: rethrows a database call's failure as the API answers it. */
export const storeFailed = (err: unknown): never => {
  throw fromStore(err);
};
