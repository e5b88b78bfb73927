// The HTTP contract, as a client sees it: shapes, status codes and error codes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { harness, waitForDb, type Harness } from "../helpers/harness";
import { createDatabase } from "../../src/testing/services";

/** The suite, against the Redis `target()` names (REDIS_URL, STREAM_PARTITIONS, ...). */
export function apiSuite(target: () => Record<string, string>): void {
  let h: Harness;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const db = await createDatabase();
    drop = db.drop;
    h = await harness(db.url, { ...target(), MAX_KEY_BYTES: "64", MAX_VALUE_BYTES: "1024" });
    h.startFlusher();
  });
  afterAll(async () => {
    try {
      await h?.close();
    } finally {
      await drop?.(); // also when beforeAll failed half-way
    }
  });

  const json = (body: unknown, type = "application/json") => ({
    method: "POST",
    headers: { "content-type": type },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const errorOf = async (r: Response) => ((await r.json()) as { error: { code: string; message: string } }).error;

  describe("POST /set and GET /get", () => {
    const keys = ["user:42", "a/b/c", "with space", "emoji 🎉 ключ", "100%", "?&=#", "+plus", "a%2Fb"];
    test.each(keys)("key %p round-trips through the cache and the database", async (key) => {
      const r = await h.post(key, `value of ${key}`);
      expect(r.status).toBe(200);
      const body = (await r.json()) as { status: string; key: string; version: number };
      expect(body).toEqual({ status: "cached", key, version: expect.any(Number) });
      expect(Number.isSafeInteger(body.version)).toBe(true);

      const path = `/get/${encodeURIComponent(key)}`;
      const cached = await h.request(`${path}?source=cache`);
      expect(cached.status).toBe(200);
      expect(await cached.json()).toEqual({ key, value: `value of ${key}`, version: body.version, source: "cache" });

      await waitForDb(h.store, key, body.version);
      const stored = await h.request(`${path}?source=db`);
      expect(await stored.json()).toEqual({ key, value: `value of ${key}`, version: body.version, source: "db" });
    });

    test.each(["..", ".", "a/../b"])("key %p, which a URL path cannot carry, round-trips via /get?key=", async (key) => {
      const r = await h.post(key, "dots");
      expect(r.status).toBe(200);
      const { version } = (await r.json()) as { version: number };
      const got = await h.request(`/get?key=${encodeURIComponent(key)}`);
      expect(await got.json()).toEqual({ key, value: "dots", version, source: "cache" });
    });

    test("the default source is the cache", async () => {
      await h.post("default-source", "v");
      const r = await h.request("/get/default-source");
      expect(((await r.json()) as { source: string }).source).toBe("cache");
    });

    test("versions grow with every write to a key, and the last write is what is read", async () => {
      const versions: number[] = [];
      for (let i = 0; i < 5; i++) versions.push(((await (await h.post("grow", `v${i}`)).json()) as { version: number }).version);
      expect([...versions].sort((a, b) => a - b)).toEqual(versions);
      expect(new Set(versions).size).toBe(5);
      expect(((await (await h.request("/get/grow")).json()) as { value: string }).value).toBe("v4");
    });

    test("an absent key is 404 with the error shape, from either source", async () => {
      for (const source of ["cache", "db"]) {
        const r = await h.request(`/get/never-written?source=${source}`);
        expect(r.status).toBe(404);
        expect(await errorOf(r)).toEqual({ code: "NOT_FOUND", message: expect.any(String) });
      }
    });

    test("a cache miss falls back to the database", async () => {
      const v = ((await (await h.post("evicted", "kept")).json()) as { version: number }).version;
      await waitForDb(h.store, "evicted", v);
      await h.redis.del(h.keys.cache("evicted"));
      const r = await h.request("/get/evicted");
      expect(await r.json()).toEqual({ key: "evicted", value: "kept", version: v, source: "db" });
    });

    test("a value may be empty, and may be exactly MAX_VALUE_BYTES of multi-byte text", async () => {
      expect((await h.post("empty", "")).status).toBe(200);
      expect((await h.post("full", "é".repeat(512))).status).toBe(200); // 1024 bytes
    });
  });

  describe("bad input never reaches Redis", () => {
    const cases: [string, RequestInit, number, string][] = [
      ["malformed JSON", json("{not json"), 400, "INVALID_JSON"],
      ["an empty body", json(""), 400, "INVALID_JSON"],
      ["a JSON array", json([]), 422, "VALIDATION"],
      ["a missing key", json({ value: "v" }), 422, "VALIDATION"],
      ["a missing value", json({ key: "k" }), 422, "VALIDATION"],
      ["a numeric value", json({ key: "k", value: 1 }), 422, "VALIDATION"],
      ["a null key", json({ key: null, value: "v" }), 422, "VALIDATION"],
      ["an empty key", json({ key: "", value: "v" }), 422, "VALIDATION"],
      ["an unknown field", json({ key: "k", value: "v", ttl: 5 }), 422, "VALIDATION"],
      ["a key over MAX_KEY_BYTES", json({ key: "é".repeat(33), value: "v" }), 422, "VALIDATION"],
      ["a key with a newline", json({ key: "a\nb", value: "v" }), 422, "VALIDATION"],
      ["a key with U+0000", json({ key: "a\u0000b", value: "v" }), 422, "VALIDATION"],
      ["a key with a lone surrogate", json('{"key":"a\\ud800","value":"v"}'), 422, "VALIDATION"],
      ["a value with U+0000", json({ key: "k", value: "a\u0000b" }), 422, "VALIDATION"],
      ["a value over MAX_VALUE_BYTES", json({ key: "k", value: "x".repeat(1025) }), 413, "PAYLOAD_TOO_LARGE"],
      ["a body far over the limit", json({ key: "k", value: "x".repeat(100_000) }), 413, "PAYLOAD_TOO_LARGE"],
      ["text/plain", json({ key: "k", value: "v" }, "text/plain"), 415, "UNSUPPORTED_MEDIA_TYPE"],
      ["form data", json("key=k&value=v", "application/x-www-form-urlencoded"), 415, "UNSUPPORTED_MEDIA_TYPE"],
    ];
    test.each(cases)("%s", async (_name, init, status, code) => {
      const before = await h.backlog();
      const r = await h.request("/set", init);
      expect(r.status).toBe(status);
      expect(r.headers.get("content-type")).toContain("application/json");
      const err = await errorOf(r);
      expect(err.code).toBe(code);
      expect(err.message.length).toBeGreaterThan(0);
      expect(await h.redis.exists(h.keys.cache("k"))).toBe(0);
      expect(await h.backlog()).toBeLessThanOrEqual(before);
    });

    test("validation errors name the field", async () => {
      expect((await errorOf(await h.request("/set", json({ key: "k" })))).message).toContain("value");
      expect((await errorOf(await h.request("/set", json({ key: "a\tb", value: "v" })))).message).toContain("key");
    });

    test("a chunked body over the limit is refused with 413", async () => {
      const chunk = new TextEncoder().encode("x".repeat(4096));
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          if (sent === 0) c.enqueue(new TextEncoder().encode('{"key":"k","value":"'));
          if (sent++ < 100) c.enqueue(chunk);
          else {
            c.enqueue(new TextEncoder().encode('"}'));
            c.close();
          }
        },
      });
      const r = await h.request("/set", { method: "POST", headers: { "content-type": "application/json" }, body });
      expect(r.status).toBe(413);
      expect((await errorOf(r)).code).toBe("PAYLOAD_TOO_LARGE");
    });

    test("an unknown source is 422; a malformed or oversized key in the path is 422", async () => {
      expect((await h.request("/get/k?source=disk")).status).toBe(422);
      expect((await h.request("/get/%E0%A4%A")).status).toBe(422);
      expect((await h.request(`/get/${"k".repeat(65)}`)).status).toBe(422);
    });

    test("an unknown route is 404 with the error shape", async () => {
      const r = await h.request("/nope");
      expect(r.status).toBe(404);
      expect((await errorOf(r)).code).toBe("ROUTE_NOT_FOUND");
    });

    test("while shutting down, writes are refused with 503 and Retry-After", async () => {
      h.state.shuttingDown = true;
      try {
        const r = await h.post("late", "v");
        expect(r.status).toBe(503);
        expect(r.headers.get("retry-after")).toBe("1");
        expect((await errorOf(r)).code).toBe("SHUTTING_DOWN");
      } finally {
        h.state.shuttingDown = false;
      }
    });
  });
}
