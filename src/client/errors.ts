// What a call of the client throws when writeback answers with an error: the API's stable
// `code` (README, "Errors"), its HTTP status and message. Recognise it with `instanceof` or by
// `code`, never by a class name (minifiers rename classes).

/** The codes the API documents; a newer server may answer one this version does not list. */
export type ErrorCode =
  | "INVALID_JSON"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "ROUTE_NOT_FOUND"
  | "METHOD_NOT_ALLOWED"
  | "PAYLOAD_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "VALIDATION"
  | "NOT_AN_INTEGER"
  | "OUT_OF_RANGE"
  | "DEAD_LETTER_EXPIRED"
  | "REDIS_UNAVAILABLE"
  | "REPLICATION_TIMEOUT"
  | "DB_UNAVAILABLE"
  | "BACKPRESSURE"
  | "SHUTTING_DOWN"
  | "INTERNAL"
  | (string & {});

export class WritebackError extends Error {
  constructor(
    /** the API's code; `HTTP_<status>` when the answer was not writeback's error shape (a proxy's page) */
    readonly code: ErrorCode,
    readonly status: number,
    message: string,
    /** how long the server asked to wait before a retry (Retry-After), when it did */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Retry-After in ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  if (/^\s*\d+\s*$/.test(header)) return Number(header) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The error an answer carries: `body` is what openapi-fetch parsed (JSON, or the text when not JSON). */
export function errorOf(response: Response, body: unknown): WritebackError {
  const e = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const wait = retryAfterMs(response.headers.get("retry-after"));
  if (e && typeof e.code === "string") return new WritebackError(e.code, response.status, String(e.message ?? e.code), wait);
  const text = typeof body === "string" ? body.slice(0, 200) : response.statusText;
  return new WritebackError(`HTTP_${response.status}`, response.status, `HTTP ${response.status}: ${text}`, wait);
}
