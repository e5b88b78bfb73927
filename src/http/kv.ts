// The single-key data routes: POST /set, /del, /incr; GET /get/<key> (or ?key=) and
// GET /status/<key> (or ?key=).
import { Elysia } from "elysia";
import { contended, dbUnavailable, invalid, notFound } from "../errors";
import { cacheFailed, storeFailed } from "./failures";
import type { Guards } from "./auth";
import { readJson } from "./body";
import type { Deps } from "./deps";
import { countRead, fencesOf, fillBack } from "./reads";
import { keyFromPath, queryParam } from "./url";
import { checkDelete, checkIncr, checkKey, checkWrite, setBodyLimit } from "./validate";
import { docs } from "./openapi";
import { writer } from "./writes";

/**
 * Reads of the database for one increment of a key not in the cache: each is retried only when
 * the partition's fence moved during it (a flush acknowledged in between), which takes a flush
 * landing within one database read; this many in a row means something is wrong.
 */
const INCR_READ_ATTEMPTS = 8;

export function kvRoutes(d: Deps, guard: Guards) {
  const { config: c, cache, store, metrics } = d;
  const bodyLimit = setBodyLimit(c);
  const { run, rejected } = writer(d);
  const parse = ({ request }: { request: Request }) => {
    guard.api(request);
    return readJson(request, bodyLimit).catch(rejected);
  };
  const one = (r: { key: string; version: number }) => [r];

  /** The key of /<route>/<key> (inPath) or of /<route>?key=. */
  const keyOf = (request: Request, route: string, inPath: boolean) => {
    guard.api(request);
    const key = inPath ? keyFromPath(request.url, `${route}/`) : queryParam(request.url, "key");
    if (key === undefined) throw invalid("key", `required: ${route}/<key> or ${route}?key=<key>`);
    return key;
  };

  return new Elysia()
    .post(
      "/set",
      ({ body, request, set }) =>
        run(request, set, () => checkWrite(body, c), async (w) => ({ status: "cached", key: w.key, version: Number(await cache.write(w.key, w.value)) }), one),
      { parse, detail: docs.set },
    )
    .post(
      "/del",
      ({ body, request, set }) =>
        run(request, set, () => checkDelete(body, c), async (w) => ({ status: "deleted", key: w.key, version: Number(await cache.del(w.key)) }), one),
      { parse, detail: docs.del },
    )
    .post(
      "/incr",
      ({ body, request, set }) =>
        run(
          request,
          set,
          () => checkIncr(body, c),
          async ({ key, by }) => {
            let r = await cache.incr(key, by);
            // Not cached: the count goes on from the database's value (0 when absent or
            // deleted), read after the partition's fence. "miss" again: an entry of the
            // partition was made clean during the read and may have taken a newer write with it
            // when it expired; read again.
            for (let attempt = 1; r === "miss"; attempt++) {
              if (attempt > INCR_READ_ATTEMPTS) throw contended();
              const fence = await cache.fence(key);
              const row = await store.get(key).catch(storeFailed);
              r = await cache.incr(key, by, row?.value ?? "0", fence);
            }
            return { status: "cached", key, value: r.value, version: r.version };
          },
          one,
        ),
      { parse, detail: docs.incr },
    )
    // The key in the path, percent-encoded, or in the query, for keys a URL path cannot
    // carry ("." and ".." are dot segments that HTTP clients collapse before sending). Both
    // decode the same way (url.ts).
    .get("/get/*", ({ request }) => read(keyOf(request, "/get", true), queryParam(request.url, "source")), { detail: docs.getByPath })
    .get("/get", ({ request }) => read(keyOf(request, "/get", false), queryParam(request.url, "source")), { detail: docs.get })
    .get("/status/*", ({ request }) => status(keyOf(request, "/status", true)), { detail: docs.statusByPath })
    .get("/status", ({ request }) => status(keyOf(request, "/status", false)), { detail: docs.status });

  async function read(key: string, source = "cache") {
    checkKey(key, c.MAX_KEY_BYTES);
    if (source !== "cache" && source !== "db") throw invalid("source", "must be cache or db");
    if (source === "cache") {
      const hit = await cache.get(key).catch(cacheFailed());
      countRead(metrics, hit);
      if (hit) {
        // A tombstone: deleted, whatever the database still holds until the delete is flushed.
        if (hit.deleted) throw notFound(key);
        return { key, value: hit.value, version: hit.version, source: "cache" };
      }
      // A miss: never written, expired or evicted once clean, or Redis lost its data. The
      // database is the record; what it has is put back into the cache (read-through), if
      // the partition's fence, read first, still holds by then.
    }
    const fence = source === "cache" ? (await fencesOf(cache, [key]))?.[0] : undefined;
    const row = await store.get(key).catch(storeFailed);
    if (!row) throw notFound(key);
    if (fence !== undefined) await fillBack(cache, metrics, [[key, row, fence]]);
    return { key, value: row.value, version: row.version, source: "db" };
  }

  /**
   * The latest acknowledged version of a key against the latest one committed to the database.
   * With the database away (exactly when an operator asks whether a write is persisted yet),
   * Redis alone answers for a cached key: its version, and whether the cache knows it is
   * committed (a clean entry, with a TTL) or not; `database: "unavailable"` says the database
   * was not asked.
   */
  async function status(key: string) {
    checkKey(key, c.MAX_KEY_BYTES);
    const [cached, persisted] = await Promise.all([
      cache.get(key).catch(cacheFailed()),
      store.versions([key]).then(
        (m) => m.get(key) ?? null,
        () => undefined,
      ),
    ]);
    if (persisted === undefined) {
      if (!cached) throw dbUnavailable(); // the database was not reached, and Redis cannot answer alone
      const clean = await cache.isClean(key).catch(cacheFailed());
      return { key, version: cached.version, persistedVersion: clean ? cached.version : null, dirty: !clean, database: "unavailable" as const };
    }
    // A key not in the cache (never written, or clean and expired) is as far as the database.
    const version = cached?.version ?? persisted;
    if (version === null) throw notFound(key);
    return { key, version, persistedVersion: persisted, dirty: persisted === null || version > persisted };
  }
}
