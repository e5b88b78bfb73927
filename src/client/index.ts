// A typed client for writeback: openapi-fetch over the types generated from the API's OpenAPI
// document (api.gen.ts, `bun run gen:client`), plus the two things a generated client cannot
// know: which calls are safe to repeat after a 503, and the API's errors as typed errors.
//
//   import { createClient } from "writeback/client";
//   const wb = createClient({ baseUrl: "http://localhost:8000", token: process.env.API_TOKEN });
//   await wb.set("user:42", "Alice", { wait: "persisted" });
//
// Retries. A 503 carries Retry-After; a call that is safe to repeat waits that long and tries
// again, at most `retries` times. Reads are safe, and so are set/del/mset/mdel (the same values
// written again). An increment is repeated only when the server said nothing was written
// (BACKPRESSURE, SHUTTING_DOWN); never after REDIS_UNAVAILABLE (it may be a timeout after which
// the increment landed) or REPLICATION_TIMEOUT (it did land on the master). A lost answer (a
// network error) is never retried, by any call: it is thrown as fetch threw it.
import createFetchClient from "openapi-fetch";
import type { components, paths } from "./api.gen";
import { errorOf, WritebackError } from "./errors";

export { WritebackError, retryAfterMs, type ErrorCode } from "./errors";
export type { components, paths } from "./api.gen";

type Ok<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  responses: { 200: { content: { "application/json": infer T } } };
}
  ? T
  : never;
export type SetReply = Ok<"/set", "post">;
export type DelReply = Ok<"/del", "post">;
export type IncrReply = Ok<"/incr", "post">;
export type MsetReply = Ok<"/mset", "post">;
export type MdelReply = Ok<"/mdel", "post">;
export type GetReply = Ok<"/get", "get">;
export type MgetReply = Ok<"/mget", "post">;
export type StatusReply = Ok<"/status", "get">;
export type ErrorReply = components["schemas"]["Error"];

export interface ClientOptions {
  /** where writeback listens, e.g. http://localhost:8000 */
  baseUrl: string;
  /** API_TOKEN, when the server has one */
  token?: string;
  /** how many times a 503 is retried, for calls safe to repeat (default 3) */
  retries?: number;
  /** a Retry-After longer than this is not waited for: the error is thrown (default 10 s) */
  maxRetryDelayMs?: number;
  /** the fetch to send requests with (default: globalThis.fetch) */
  fetch?: (request: Request) => Promise<Response>;
}

export interface WaitOptions {
  /** "persisted": answer once the write is in the database (or at the timeout, with persisted: false) */
  wait?: "persisted";
  /** with wait: the longest wait, 1..60000 ms (server default 5000) */
  timeoutMs?: number;
}

export interface ReadOptions {
  /** "cache" (default): Redis, then the database on a miss; "db": the database only */
  source?: "cache" | "db";
}

type Sent<T> = Promise<{ data?: T; error?: unknown; response: Response }>;

const ANY = () => true;
/** The 503s after which an increment certainly did not happen. */
const NOTHING_WRITTEN = (code: string) => code === "BACKPRESSURE" || code === "SHUTTING_DOWN";

export function createClient(o: ClientOptions) {
  const api = createFetchClient<paths>({
    baseUrl: o.baseUrl,
    fetch: o.fetch,
    headers: o.token ? { authorization: `Bearer ${o.token}` } : undefined,
  });
  const retries = o.retries ?? 3;
  const maxDelay = o.maxRetryDelayMs ?? 10_000;

  /** Sends, and sends again after a 503 while `repeatable(code)` and retries remain; the reply or a WritebackError. */
  async function call<T>(send: () => Sent<T>, repeatable: (code: string) => boolean): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const { data, error, response } = await send();
      if (response.ok) return data as T;
      const err = errorOf(response, error);
      const delay = err.retryAfterMs ?? 1000;
      if (response.status !== 503 || attempt >= retries || !repeatable(err.code) || delay > maxDelay) throw err;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  /** A read that answers undefined for a key without a value (404 NOT_FOUND), and throws anything else. */
  const found = <T>(p: Promise<T>): Promise<T | undefined> =>
    p.catch((err: unknown) => {
      if (err instanceof WritebackError && err.code === "NOT_FOUND") return undefined;
      throw err;
    });

  const waitQuery = (w: WaitOptions = {}) =>
    w.wait ? { wait: w.wait, ...(w.timeoutMs !== undefined ? { timeout_ms: w.timeoutMs } : {}) } : {};

  return {
    /** Writes a key. With `wait: "persisted"`, `persisted` says whether it reached the database in time. */
    set: (key: string, value: string, w?: WaitOptions): Promise<SetReply> =>
      call(() => api.POST("/set", { params: { query: waitQuery(w) }, body: { key, value } }), ANY),

    /** Deletes a key (a versioned tombstone). */
    del: (key: string, w?: WaitOptions): Promise<DelReply> =>
      call(() => api.POST("/del", { params: { query: waitQuery(w) }, body: { key } }), ANY),

    /** Adds `by` (default 1) to a key's integer value; `value` of the reply is the new value, as text. */
    incr: (key: string, by = 1, w?: WaitOptions): Promise<IncrReply> =>
      call(() => api.POST("/incr", { params: { query: waitQuery(w) }, body: { key, by } }), NOTHING_WRITTEN),

    /** Writes several keys in one atomic step. */
    mset: (items: { key: string; value: string }[], w?: WaitOptions): Promise<MsetReply> =>
      call(() => api.POST("/mset", { params: { query: waitQuery(w) }, body: { items } }), ANY),

    /** Deletes several keys in one atomic step. */
    mdel: (keys: string[], w?: WaitOptions): Promise<MdelReply> =>
      call(() => api.POST("/mdel", { params: { query: waitQuery(w) }, body: { keys } }), ANY),

    /** A key's value, or undefined when it has none. (The key travels in the query: every key can, `.` and `..` included.) */
    get: (key: string, r: ReadOptions = {}): Promise<GetReply | undefined> =>
      found(call(() => api.GET("/get", { params: { query: { key, ...r } } }), ANY)),

    /** Several keys' values, in request order; a key without one is `{ key, found: false }`. */
    mget: (keys: string[], r: ReadOptions = {}): Promise<MgetReply["items"]> =>
      call(() => api.POST("/mget", { body: { keys, ...r } }), ANY).then((reply) => reply.items),

    /** A key's latest acknowledged and persisted versions, or undefined when neither exists. */
    status: (key: string): Promise<StatusReply | undefined> =>
      found(call(() => api.GET("/status", { params: { query: { key } } }), ANY)),
  };
}

export type WritebackClient = ReturnType<typeof createClient>;
