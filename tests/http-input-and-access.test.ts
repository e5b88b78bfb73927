// What the HTTP layer accepts and who may call it: strict UTF-8, keys in URLs, counted
// rejections, readiness without internals, redrive that needs to be asked for, and tokens.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApiCache } from "../src/cache/api";
import { connect } from "../src/cache/redis";
import { loadConfig, ConfigError, MAX_KEY_LIMIT } from "../src/config";
import { guards } from "../src/http/auth";
import { createApp } from "../src/http/app";
import { keys } from "../src/keys";
import { Registry } from "../src/metrics";
import { PostgresStore } from "../src/store/postgres/store";
import { PersistWaiters } from "../src/waiters";
import { harness, waitForDb, type Harness } from "./helpers/harness";
import { createDatabase, dropPrefix, SHARED_REDIS_URL, testPrefix } from "../src/testing/services";

let dbUrl: string;
let drop: () => Promise<void>;
let h: Harness;
beforeAll(async () => {
  ({ url: dbUrl, drop } = await createDatabase());
  h = await harness(dbUrl, { MAX_KEY_BYTES: String(MAX_KEY_LIMIT) });
  h.startFlusher();
});
afterAll(async () => {
  try {
    await h?.close();
  } finally {
    await drop?.(); // also when beforeAll failed half-way
  }
});

const errorOf = async (r: Response) => ((await r.json()) as { error: { code: string; message: string } }).error;
const rawPost = (path: string, body: Uint8Array | string, type = "application/json") =>
  h.request(path, { method: "POST", headers: { "content-type": type }, body: body as BodyInit });
const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : Buffer.from(p))));

describe("request bodies are UTF-8, strictly", () => {
  test.each([
    ["bytes that are not UTF-8", [0xff, 0xfe]],
    ["the same bytes the other way round", [0xfe, 0xff]],
    ["an encoded surrogate", [0xed, 0xa0, 0x80]],
    ["an overlong form", [0xc0, 0xaf]],
  ])("%s in a key: 400 INVALID_JSON, nothing written", async (_, bad) => {
    const r = await rawPost("/set", bytes('{"key":"u', bad as number[], '","value":"v"}'));
    expect(r.status).toBe(400);
    expect((await errorOf(r)).code).toBe("INVALID_JSON");
  });

  test("a charset other than UTF-8: 415; utf-8 named explicitly: accepted", async () => {
    const body = JSON.stringify({ key: "charset", value: "v" });
    const latin = await rawPost("/set", body, "application/json; charset=iso-8859-1");
    expect(latin.status).toBe(415);
    expect((await errorOf(latin)).code).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect((await rawPost("/set", body, "application/json; charset=UTF-8")).status).toBe(200);
  });
});

describe("keys in URLs", () => {
  test("/get?key= and /get/<key> decode alike: %FF is refused by both, + is a plus sign", async () => {
    for (const path of ["/get?key=%FF", "/get/%FF"]) {
      const r = await h.request(path);
      expect(r.status).toBe(422);
      expect((await errorOf(r)).code).toBe("VALIDATION");
    }
    await h.post("a+b", "plus");
    for (const path of ["/get?key=a+b", "/get/a+b", "/get?key=a%2Bb"]) {
      const r = await h.request(path);
      expect(r.status).toBe(200);
      expect(((await r.json()) as { key: string }).key).toBe("a+b");
    }
    expect((await h.request("/get?key=a%20b")).status).toBe(404); // "a b" was never written
  });

  test("the largest key a write accepts is readable by GET /get/<key>, every byte percent-encoded", async () => {
    const key = "😀".repeat(MAX_KEY_LIMIT / 4); // 2048 bytes of 4-byte characters
    const w = await h.post(key, "widest");
    expect(w.status).toBe(200);
    const r = await h.request(`/get/${encodeURIComponent(key)}`);
    expect(r.status).toBe(200);
    const { version } = (await w.json()) as { version: number };
    await waitForDb(h.store, key, version); // and the database's index takes it
  });

  test("MAX_KEY_BYTES cannot be set above what every store indexes", () => {
    expect(() => loadConfig({ MAX_KEY_BYTES: String(MAX_KEY_LIMIT + 1) })).toThrow(ConfigError);
  });
});

describe("metrics and readiness", () => {
  test("a write refused for its input counts as outcome=rejected", async () => {
    const rejected = async () =>
      Number(/writeback_writes_total\{outcome="rejected"\} (\d+)/.exec(await (await h.request("/metrics")).text())?.[1] ?? 0);
    const before = await rejected();
    await rawPost("/set", JSON.stringify({ key: "", value: "v" }));
    await rawPost("/set", "{not json");
    expect((await rejected()) - before).toBe(2);
  });

  test("/ready names the failing check with a code, never the database's own words", async () => {
    const url = new URL(dbUrl);
    url.pathname = "/wb_no_such_database";
    const prefix = testPrefix();
    const config = loadConfig({ REDIS_URL: SHARED_REDIS_URL, DATABASE_URL: url.toString(), KEY_PREFIX: prefix });
    const cache = new ApiCache(config, keys(config.KEY_PREFIX), connect(config.REDIS_URL, "api", config.REDIS_COMMAND_TIMEOUT_MS));
    await cache.whenReady(5000);
    const store = new PostgresStore({ url: url.toString(), max: 1, statementTimeoutMs: 1000, lockTimeoutMs: 500 });
    const app = createApp({ config, cache, store, waiters: new PersistWaiters(store), metrics: new Registry(), state: { shuttingDown: false } });
    try {
      const r = await app.handle(new Request("http://localhost/ready"));
      const text = await r.text();
      expect(r.status).toBe(503);
      expect(JSON.parse(text).checks).toEqual({ redis: "ok", postgres: "database_missing" });
      expect(text).not.toContain("does not exist");
    } finally {
      cache.disconnect();
      await store.close();
      await dropPrefix(prefix); // the cache's layout record (<prefix>meta) on the shared Redis
    }
  });
});

describe("redrive", () => {
  const redrive = (body: unknown, token?: string) =>
    h.request("/dead-letters/redrive", {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });

  test.each([[{ id: ["1-0"] }], [null], [[]], [{}], [{ all: false }], [{ ids: [] }], [{ ids: ["1-0"], extra: 1 }]])(
    "%p re-drives nothing: 422",
    async (body) => {
      await h.redis.xadd(h.keys.dead(0), "*", "k", "keep", "v", "x", "ver", "1", "reason", "test");
      const before = await h.redis.xlen(h.keys.dead(0));
      const r = await redrive(body);
      expect(r.status).toBe(422);
      expect((await errorOf(r)).code).toBe("VALIDATION");
      expect(await h.redis.xlen(h.keys.dead(0))).toBe(before);
    },
  );

  test("an id Redis cannot read is 422, not 503", async () => {
    const r = await redrive({ ids: ["99999999999999999999-0"] });
    expect(r.status).toBe(422);
  });

  test("refused with 503 BACKPRESSURE when the backlog would pass MAX_BACKLOG", async () => {
    const p = await harness(dbUrl, { MAX_BACKLOG: "1" });
    try {
      await p.post("bp:1", "a"); // no flusher: the backlog is 1
      await p.redis.xadd(p.keys.dead(0), "*", "k", "bp:dead", "v", "x", "ver", String(Date.now() * 1000), "reason", "test");
      const r = await p.request("/dead-letters/redrive", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ all: true }),
      });
      expect(r.status).toBe(503);
      expect((await errorOf(r)).code).toBe("BACKPRESSURE");
      expect(await p.redis.xlen(p.keys.dead(0))).toBe(1);
    } finally {
      await p.close();
    }
  });
});

describe("tokens", () => {
  test("with ADMIN_TOKEN set, operator endpoints need it; with API_TOKEN set, data routes need theirs", async () => {
    const p = await harness(dbUrl, { ADMIN_TOKEN: "s3cret-admin", API_TOKEN: "s3cret-api", METRICS_AUTH: "admin" });
    try {
      const get = (path: string, token?: string) => p.request(path, token ? { headers: { authorization: `Bearer ${token}` } } : {});
      for (const path of ["/dead-letters", "/metrics"]) {
        const none = await get(path);
        expect(none.status).toBe(401);
        expect((await errorOf(none)).code).toBe("UNAUTHORIZED");
        expect((await get(path, "wrong")).status).toBe(401);
        expect((await get(path, "s3cret-api")).status).toBe(401);
        expect((await get(path, "s3cret-admin")).status).toBe(200);
      }
      const set = (token?: string) =>
        p.request("/set", {
          method: "POST",
          headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify({ key: "tok", value: "v" }),
        });
      expect((await set()).status).toBe(401);
      expect((await set("s3cret-api")).status).toBe(200);
      expect((await get("/get/tok")).status).toBe(401);
      expect((await get("/get/tok", "s3cret-api")).status).toBe(200);
      expect((await get("/health")).status).toBe(200); // probes need no token
    } finally {
      await p.close();
    }
  });

  test("without ADMIN_TOKEN, operator endpoints answer loopback callers only: 403 for others", () => {
    const g = guards("", "");
    const from = (address: string) => ({ requestIP: () => ({ address, family: "IPv4", port: 1 }) }) as never;
    const req = new Request("http://localhost/dead-letters"); // a loopback Host: this test is about the peer
    for (const ok of ["127.0.0.1", "::1", "::ffff:127.0.0.1"]) expect(() => g.admin(req, from(ok))).not.toThrow();
    for (const other of ["10.0.0.7", "192.168.1.2", "::ffff:10.0.0.7", "2001:db8::1"]) {
      expect(() => g.admin(req, from(other))).toThrow(expect.objectContaining({ code: "FORBIDDEN", status: 403 }));
    }
  });
});

describe("configuration", () => {
  test("MAX_LAG_MS below the reclaim time is refused, naming MAX_LAG_MS", () => {
    try {
      loadConfig({ MAX_LAG_MS: "5000", FLUSH_CLAIM_IDLE_MS: "30000" });
      throw new Error("accepted");
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).variable).toBe("MAX_LAG_MS");
    }
    expect(loadConfig({ MAX_LAG_MS: "60000" }).MAX_LAG_MS).toBe(60000);
  });
});
