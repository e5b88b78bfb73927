// POST /set and GET /get/:key.
import { Elysia } from "elysia";
import { BackpressureError } from "../cache/errors";
import { backlogFull, dbUnavailable, invalid, notFound, redisUnavailable, shuttingDown } from "../errors";
import type { Guards } from "./auth";
import { readJson } from "./body";
import type { Deps } from "./deps";
import { keyFromPath, queryParam } from "./url";
import { checkKey, checkWrite, setBodyLimit } from "./validate";

export function kvRoutes(d: Deps, guard: Guards) {
  const { config: c, cache, store, metrics } = d;
  const bodyLimit = setBodyLimit(c);
  const rejected = (err: unknown) => {
    metrics.inc("writeback_writes_total", { outcome: "rejected" });
    throw err;
  };

  return new Elysia()
    .post(
      "/set",
      async ({ body }) => {
        const started = performance.now();
        if (d.state.shuttingDown) throw shuttingDown();
        let w: { key: string; value: string };
        try {
          w = checkWrite(body, c);
        } catch (err) {
          return rejected(err);
        }
        let version: string;
        try {
          version = await cache.write(w.key, w.value);
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
        return { status: "cached", key: w.key, version: Number(version) };
      },
      {
        parse: ({ request }) => {
          guard.api(request);
          return readJson(request, bodyLimit).catch(rejected);
        },
      },
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
      if (hit) return { key, value: hit.value, version: hit.version, source: "cache" };
      // A miss (never written, or Redis lost its data): the database is the record.
    }
    let row;
    try {
      row = await store.get(key);
    } catch {
      throw dbUnavailable();
    }
    if (!row) throw notFound(key);
    return { key, value: row.value, version: row.version, source: "db" };
  }
}
