// Which database failures are worth retrying. Decided by SQLSTATE class and errno, never by
// message text. Only data errors are permanent: retrying them cannot succeed, so the flusher
// isolates the offending row and dead-letters it. Anything else (connection loss, timeouts,
// deadlocks, a missing table an operator is restoring) is retried with backoff, forever.

/** SQLSTATE classes whose errors depend on the row, not on the database's state. */
const PERMANENT_CLASSES = new Set([
  "22", // data exception: bad encoding, value out of range, U+0000 in text
  "23", // integrity constraint violation
]);

export type Failure = "transient" | "permanent";

export function classify(err: unknown): Failure {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) && PERMANENT_CLASSES.has(code.slice(0, 2))) {
    return "permanent";
  }
  return "transient";
}
