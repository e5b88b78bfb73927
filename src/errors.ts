// Every error a client can see: a stable code, an HTTP status, one JSON shape.
// The README lists these codes; change them only with a major version.

export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
  toJSON() {
    return { error: { code: this.code, message: this.message } };
  }
}

export const badJson = (detail: string) => new AppError("INVALID_JSON", 400, `request body is not valid JSON: ${detail}`);
export const invalid = (field: string, detail: string) => new AppError("VALIDATION", 422, `${field}: ${detail}`);
export const tooLarge = (what: string, limit: number) =>
  new AppError("PAYLOAD_TOO_LARGE", 413, `${what} is larger than ${limit} bytes`);
export const unsupportedType = (type: string | null) =>
  new AppError("UNSUPPORTED_MEDIA_TYPE", 415, `expected Content-Type application/json (UTF-8), got ${type ?? "none"}`);
export const notFound = (key: string) => new AppError("NOT_FOUND", 404, `no value for key ${JSON.stringify(key)}`);
export const routeNotFound = () => new AppError("ROUTE_NOT_FOUND", 404, "no such route");
/** A known path asked with a method it does not answer; `Allow` lists those it does. */
export const methodNotAllowed = (method: string, allow: string[]) =>
  new AppError("METHOD_NOT_ALLOWED", 405, `${method} is not allowed here; use ${allow.join(" or ")}`, { Allow: allow.join(", ") });
export const redisUnavailable = () =>
  new AppError("REDIS_UNAVAILABLE", 503, "the cache is unavailable; the write was not accepted, retry", {
    "Retry-After": "1",
  });
export const replicationTimeout = (detail: string) =>
  new AppError("REPLICATION_TIMEOUT", 503, `${detail}; not acknowledged: it may still land (and be persisted), retry`, {
    "Retry-After": "1",
  });
export const dbUnavailable = () =>
  new AppError("DB_UNAVAILABLE", 503, "the database is unavailable; retry", { "Retry-After": "1" });
export const backlogFull = (why: string) =>
  new AppError("BACKPRESSURE", 503, `writes are paused until the flusher catches up: ${why}`, { "Retry-After": "1" });
export const shuttingDown = () =>
  new AppError("SHUTTING_DOWN", 503, "the server is shutting down; retry on another instance", { "Retry-After": "1" });
export const contended = () =>
  new AppError(
    "CONTENDED",
    503,
    "the key is not cached and its partition was flushed during each read of its value from the database; nothing was written, retry",
    { "Retry-After": "1" },
  );
export const internal = () => new AppError("INTERNAL", 500, "internal error");
export const deadLetterExpired = (detail: string) =>
  new AppError(
    "DEAD_LETTER_EXPIRED",
    409,
    `${detail}: the delete that superseded it may have been purged, so re-driving it could bring a deleted key back; nothing was re-driven`,
  );
export const notAnInteger = (detail: string) => new AppError("NOT_AN_INTEGER", 409, `cannot increment: ${detail}; nothing was written`);
export const outOfRange = (detail: string) => new AppError("OUT_OF_RANGE", 409, `cannot increment: ${detail}; nothing was written`);
