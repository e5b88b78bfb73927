// The data routes: POST /set, POST /del, GET /get/<key> and GET /get?key=.
import { Elysia } from "elysia";
import { BackpressureError } from "../cache/errors";
import { backlogFull, dbUnavailable, invalid, notFound, redisUnavailable, shuttingDown } from "../errors";
import type { Guards } from "./auth";
import { readJson } from "./body";
import type { Deps } from "./deps";
import { keyFromPath, queryParam } from "./url";
import { checkDelete, checkKey, checkWrite, setBodyLimit } from "./validate";

export function kvRoutes(d: Deps, guard: Guards) {
  const { config: c, cache, store, metrics } = d;
  const bodyLimit = setBodyLimit(c);
  const rejected = (err: unknown): never => {
    metrics.inc("writeback_writes_total", { outcome: "rejected" });
    throw err;
  };
  const parse = ({ request }: { request: Request }) => {
    guard.api(request);
    return readJson(request, bodyLimit).catch(rejected);
  };

  /** A write to the cache (a set or a delete): checked, applied, counted, its errors mapped. */
  async function write<T extends { key: string }>(body: unknown, check: (b: unknown) => T, apply: (w: T) => Promise<string>) {
    const started = performance.now();
    if (d.state.shuttingDown) throw shuttingDown();
    let w: T;
    try {
      w = check(body);
    } catch (err) {
      return rejected(err);
    }
    let version: string;
    try {
      version = await apply(w);
    } catch (err) {
      if (err instanceof BackpressureError) {
        metrics.inc("writeback_writes_total", { outcome: "backpressure" });
        throw backlogFull(err.message);
      }
      metrics.inc("writeback_writes_total", { outcome: "unavailable" });
      throw redisUnavailable();
    }
    metrics.inc("writeback_writes_total", { outcome: "ok" });
    metrics.observe("writeback_write_seconds", (performance.now() - started) / 1000);
    return { key: w.key, version: Number(version) };
  }

  return new Elysia()
    .post(
      "/set",
      async ({ body }) => {
        const w = await write(body, (b) => checkWrite(b, c), (x) => cache.write(x.key, x.value));
        return { status: "cached", ...w };
      },
      { parse },
    )
    .post(
      "/del",
      async ({ body }) => {
        const w = await write(body, (b) => checkDelete(b, c), (x) => cache.del(x.key));
        return { status: "deleted", ...w };
      },
      { parse },
    )
    // The key in the path, percent-encoded...
    .get("/get/*", ({ request }) => {
      guard.api(request);
      return read(keyFromPath(request.url, "/get/"), queryParam(request.url, "source"));
    })
    // ...or in the query, for keys a URL path cannot carry ("." and ".." are dot segments
    // that HTTP clients collapse before sending). Both decode the same way (url.ts).
    .get("/get", ({ request }) => {
      guard.api(request);
      const key = queryParam(request.url, "key");
      if (key === undefined) throw invalid("key", "required: /get/<key> or /get?key=<key>");
      return read(key, queryParam(request.url, "source"));
    });

  async function read(key: string, source = "cache") {
    checkKey(key, c.MAX_KEY_BYTES);
    if (source !== "cache" && source !== "db") throw invalid("source", "must be cache or db");
    if (source === "cache") {
      let hit;
      try {
        hit = await cache.get(key);
      } catch {
        throw redisUnavailable();
      }
      if (hit) {
        metrics.inc("writeback_cache_reads_total", { result: hit.deleted ? "tombstone" : "hit" });
        // A tombstone: deleted, whatever the database still holds until the delete is flushed.
        if (hit.deleted) throw notFound(key);
        return { key, value: hit.value, version: hit.version, source: "cache" };
      }
      // A miss: never written, expired or evicted once clean, or Redis lost its data. The
      // database is the record; what it has is put back into the cache (read-through).
      metrics.inc("writeback_cache_reads_total", { result: "miss" });
    }
    let row;
    try {
      row = await store.get(key);
    } catch {
      throw dbUnavailable();
    }
    if (!row) throw notFound(key);
    if (source === "cache") {
      // Filled only if no write made an entry meanwhile; a failed fill (Redis full) costs nothing.
      const filled = await cache.fill(key, row.value, row.version).catch(() => false);
      if (filled) metrics.inc("writeback_cache_fills_total");
    }
    return { key, value: row.value, version: row.version, source: "db" };
  }
}
