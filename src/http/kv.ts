// POST /set and GET /get/:key.
import { Elysia } from "elysia";
import { redisErrorCode } from "../cache/redis";
import { Writer } from "../cache/writer";
import { backlogFull, dbUnavailable, invalid, notFound, redisUnavailable, shuttingDown } from "../errors";
import { getRow, withDeadline } from "../store/db";
import { readJson } from "./body";
import type { Deps } from "./deps";
import { checkKey, checkWrite, setBodyLimit } from "./validate";

/** The key of /get/<key>, percent-decoded from the raw URL (no dot-segment normalisation). */
function keyFromUrl(url: string): string {
  const pathStart = url.indexOf("/", url.indexOf("//") + 2);
  const end = url.indexOf("?", pathStart);
  const raw = url.slice(pathStart + "/get/".length, end < 0 ? undefined : end);
  try {
    return decodeURIComponent(raw);
  } catch {
    throw invalid("key", "malformed percent-encoding");
  }
}

export function kvRoutes(d: Deps) {
  const { config: c, redis, keys: k, metrics } = d;
  const writer = new Writer(redis, k, c);
  const bodyLimit = setBodyLimit(c);

  return new Elysia()
    .post(
      "/set",
      async ({ body }) => {
        const started = performance.now();
        if (d.state.shuttingDown) throw shuttingDown();
        const { key, value } = checkWrite(body, c);
        let version: string;
        try {
          version = await writer.write(key, value);
        } catch (err) {
          const code = redisErrorCode(err);
          if (code === "WBBACKLOG" || code === "WBLAG") {
            metrics.inc("writeback_writes_total", { outcome: "backpressure" });
            throw backlogFull((err as Error).message.slice(code.length + 1));
          }
          metrics.inc("writeback_writes_total", { outcome: "unavailable" });
          throw redisUnavailable();
        }
        metrics.inc("writeback_writes_total", { outcome: "ok" });
        metrics.observe("writeback_write_seconds", (performance.now() - started) / 1000);
        return { status: "cached", key, version: Number(version) };
      },
      { parse: ({ request }) => readJson(request, bodyLimit) },
    )
    // The key in the path, percent-encoded...
    .get("/get/*", ({ request, query }) => read(keyFromUrl(request.url), query.source))
    // ...or in the query, for keys a URL path cannot carry ("." and ".." are dot segments
    // that HTTP clients collapse before sending).
    .get("/get", ({ query }) => {
      if (typeof query.key !== "string") throw invalid("key", "required: /get/<key> or /get?key=<key>");
      return read(query.key, query.source);
    });

  async function read(key: string, source = "cache") {
    checkKey(key, c.MAX_KEY_BYTES);
    if (source !== "cache" && source !== "db") throw invalid("source", "must be cache or db");
    if (source === "cache") {
      let hit: (string | null)[];
      try {
        hit = await redis.hmget(k.cache(key), "v", "ver");
      } catch {
        throw redisUnavailable();
      }
      if (hit[0] !== null && hit[1] !== null) return { key, value: hit[0], version: Number(hit[1]), source: "cache" };
      // A miss (never written, or Redis lost its data): the database is the record.
    }
    let row;
    try {
      row = await withDeadline(getRow(d.db, key), c.DB_STATEMENT_TIMEOUT_MS);
    } catch {
      throw dbUnavailable();
    }
    if (!row) throw notFound(key);
    return { key, value: row.value, version: row.version, source: "db" };
  }
}
