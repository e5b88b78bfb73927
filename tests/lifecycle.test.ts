// A cache, not only a write path (issue 10): deletes with versioned tombstones, clean entries
// that expire and may be evicted while dirty ones never do, read-through, and migrations.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import postgres from "postgres";
import { coalesce } from "../src/flusher/coalesce";
import { PostgresStore } from "../src/store/postgres/store";
import { UnknownMigrationError } from "../src/store/store";
import { MIGRATIONS } from "../src/store/postgres/sql";
import { waitFor } from "../src/testing/process";
import { createDatabase, PrivateRedis } from "../src/testing/services";
import { harness, waitForDb, type Harness } from "./helpers/harness";

setDefaultTimeout(60_000);

let dbUrl: string;
let drop: () => Promise<void>;
let h: Harness;
beforeAll(async () => {
  ({ url: dbUrl, drop } = await createDatabase());
  h = await harness(dbUrl, { CACHE_TTL_MS: "60000" });
  h.startFlusher(0);
  h.startFlusher(1);
});
afterAll(async () => {
  try {
    await h?.close();
  } finally {
    await drop?.(); // also when beforeAll failed half-way
  }
});

const json = (body: unknown) => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const del = (key: string) => h.request("/del", json({ key }));
const versionOf = async (r: Response) => ((await r.json()) as { version: number }).version;
const errorOf = async (r: Response) => ((await r.json()) as { error: { code: string } }).error.code;
/** The database row, tombstones included (the store's get hides them). */
const rawRow = async (key: string) =>
  (await h.sql.unsafe<{ value: string | null; version: string }[]>("SELECT value, version::text FROM writeback_kv WHERE key = $1", [key]))[0];
const waitForRaw = (key: string, version: number) =>
  waitFor(`row ${key} at version ${version}`, async () => Number((await rawRow(key))?.version ?? 0) >= version, 10_000);

describe("POST /del", () => {
  test("deletes: 404 from the cache at once, from the database once flushed, a tombstone row kept", async () => {
    const set = await versionOf(await h.post("d:1", "alive"));
    await waitForDb(h.store, "d:1", set);
    const r = await del("d:1");
    expect(r.status).toBe(200);
    const body = (await r.json()) as { status: string; key: string; version: number };
    expect(body).toEqual({ status: "deleted", key: "d:1", version: expect.any(Number) });
    expect(body.version).toBeGreaterThan(set);
    const cached = await h.request("/get/d:1");
    expect(cached.status).toBe(404);
    expect(await errorOf(cached)).toBe("NOT_FOUND");
    await waitForRaw("d:1", body.version);
    expect(await rawRow("d:1")).toEqual({ value: null, version: String(body.version) });
    expect((await h.request("/get/d:1?source=db")).status).toBe(404);
    expect(await h.store.get("d:1")).toBeUndefined();
  });

  test("deleting a key never written is not an error: it records a tombstone", async () => {
    const r = await del("d:never");
    expect(r.status).toBe(200);
    await waitForRaw("d:never", await versionOf(r));
    expect((await rawRow("d:never"))?.value).toBeNull();
  });

  test.each([
    ["no key", {}],
    ["an empty key", { key: "" }],
    ["an unknown field", { key: "k", value: "v" }],
    ["a key with a control character", { key: "a\u0001" }],
  ])("%s: 422, nothing written", async (_, body) => {
    const r = await h.request("/del", json(body));
    expect(r.status).toBe(422);
    expect(await errorOf(r)).toBe("VALIDATION");
  });

  test("not JSON: 400; not application/json: 415", async () => {
    expect((await h.request("/del", { method: "POST", headers: { "content-type": "application/json" }, body: "{" })).status).toBe(400);
    expect((await h.request("/del", { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" })).status).toBe(415);
  });

  test("a write after a delete brings the key back", async () => {
    await h.post("d:back", "one");
    await del("d:back");
    const v = await versionOf(await h.post("d:back", "two"));
    expect(await (await h.request("/get/d:back")).json()).toMatchObject({ value: "two", version: v });
    await waitForDb(h.store, "d:back", v);
    expect(await h.store.get("d:back")).toEqual({ value: "two", version: v });
  });

  test("an older write replayed after a delete stays dead (the guard covers deletes)", async () => {
    const old = await versionOf(await h.post("d:replay", "old"));
    const gone = await versionOf(await del("d:replay"));
    await waitForRaw("d:replay", gone);
    // The old write's entry again, as a reclaim or a re-drive could deliver it.
    await h.redis.xadd(h.keys.stream(0), "*", "k", "d:replay", "v", "old", "ver", String(old));
    await waitFor("drained", async () => (await h.redis.xlen(h.keys.stream(0))) === 0);
    expect(await rawRow("d:replay")).toEqual({ value: null, version: String(gone) });
  });

  test("sets and deletes racing from many clients: cache == database == the last acknowledged operation", async () => {
    const ops = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const r = i % 3 === 0 ? await del("d:race") : await h.post("d:race", `v${i}`);
        expect(r.status).toBe(200);
        return { i, version: await versionOf(r), deleted: i % 3 === 0 };
      }),
    );
    const last = ops.reduce((a, b) => (b.version > a.version ? b : a));
    const cached = await h.request("/get/d:race");
    await waitForRaw("d:race", last.version);
    const row = await rawRow("d:race");
    if (last.deleted) {
      expect(cached.status).toBe(404);
      expect(row).toEqual({ value: null, version: String(last.version) });
    } else {
      expect(await cached.json()).toMatchObject({ value: `v${last.i}`, version: last.version });
      expect(row).toEqual({ value: `v${last.i}`, version: String(last.version) });
    }
  });

  test("coalescing across sets and deletes: the highest version wins, whichever kind it is", () => {
    const c = coalesce([
      ["1-0", ["k", "a", "v", "a1", "ver", "10"]],
      ["2-0", ["k", "a", "ver", "20", "del", "1"]],
      ["3-0", ["k", "b", "ver", "30", "del", "1"]],
      ["4-0", ["k", "b", "v", "b2", "ver", "40"]],
      ["5-0", ["k", "c", "ver", "50"]], // neither a value nor a delete: poison
    ]);
    expect(c.rows.map((r) => [r.key, r.value, r.version])).toEqual([
      ["a", null, 20],
      ["b", "b2", 40],
    ]);
    expect(c.poison.map((p) => p.id)).toEqual(["5-0"]);
  });
});

describe("tombstone retention", () => {
  test("tombstones older than the retention are purged in small batches; newer ones and values stay", async () => {
    await h.post("t:old", "x");
    const v = await versionOf(await del("t:old"));
    await waitForRaw("t:old", v);
    await h.post("t:new", "x");
    const v2 = await versionOf(await del("t:new"));
    await waitForRaw("t:new", v2);
    await h.sql.unsafe("UPDATE writeback_kv SET updated_at = now() - interval '8 days' WHERE key = 't:old'");
    const week = 7 * 24 * 3600 * 1000;
    let purged = 0;
    for (let n = -1; n !== 0; ) purged += n = await h.store.purgeTombstones(week, 1);
    expect(purged).toBe(1);
    expect(await rawRow("t:old")).toBeUndefined();
    expect((await rawRow("t:new"))?.value).toBeNull();
  });

  test("a dead letter older than the retention is refused by redrive with 409, and stays", async () => {
    const ancient = String((Date.now() - 8 * 24 * 3600 * 1000) * 1000);
    const id = (await h.redis.xadd(h.keys.dead(0), "*", "k", "t:ancient", "v", "x", "ver", ancient, "reason", "test")) as string;
    const r = await h.request("/dead-letters/redrive", json({ ids: [`${id}@0`] }));
    expect(r.status).toBe(409);
    expect(await errorOf(r)).toBe("DEAD_LETTER_EXPIRED");
    const all = await h.request("/dead-letters/redrive", json({ all: true }));
    expect(await all.json()).toEqual({ redriven: 0, expired: 1 });
    expect((await h.redis.xrange(h.keys.dead(0), id, id)).length).toBe(1);
    await h.redis.xdel(h.keys.dead(0), id);
  });
});

describe("clean entries expire, dirty entries never", () => {
  test("a write has no TTL until it is persisted; then CACHE_TTL_MS; a new write removes it", async () => {
    const p = await harness(dbUrl, { CACHE_TTL_MS: "60000" });
    try {
      const v = await versionOf(await p.post("ttl:1", "a"));
      expect(await p.redis.pttl(p.keys.cache("ttl:1"))).toBe(-1); // dirty: no flusher yet
      p.startFlusher();
      await waitForDb(p.store, "ttl:1", v);
      await waitFor("TTL set", async () => (await p.redis.pttl(p.keys.cache("ttl:1"))) > 0);
      expect(await p.redis.pttl(p.keys.cache("ttl:1"))).toBeLessThanOrEqual(60000);
      await p.post("ttl:1", "b");
      expect(await p.redis.pttl(p.keys.cache("ttl:1"))).toBe(-1);
      expect(await p.redis.pttl(p.keys.stream(0))).toBe(-1);
    } finally {
      await p.close();
    }
  });

  test("CACHE_TTL_MS=0 keeps cached values forever", async () => {
    const p = await harness(dbUrl, { CACHE_TTL_MS: "0" });
    try {
      p.startFlusher();
      const v = await versionOf(await p.post("ttl:0", "a"));
      await waitForDb(p.store, "ttl:0", v);
      await waitFor("drained", async () => (await p.redis.xlen(p.keys.stream(0))) === 0);
      expect(await p.redis.pttl(p.keys.cache("ttl:0"))).toBe(-1);
    } finally {
      await p.close();
    }
  });

  test("after a clean entry is evicted, the next write's version is still above the persisted one", async () => {
    const v = await versionOf(await h.post("ev:1", "a"));
    await waitForDb(h.store, "ev:1", v);
    await h.redis.del(h.keys.cache("ev:1")); // what eviction or expiry does to a clean entry
    const next = await versionOf(await h.post("ev:1", "b"));
    expect(next).toBeGreaterThan(v);
    await waitForDb(h.store, "ev:1", next);
    expect(await h.store.get("ev:1")).toEqual({ value: "b", version: next });
  });
});

describe("read-through", () => {
  test("a miss reads the database and fills the cache, clean, with its TTL", async () => {
    const v = await versionOf(await h.post("rt:1", "from-db"));
    await waitForDb(h.store, "rt:1", v);
    await h.redis.del(h.keys.cache("rt:1"));
    const first = (await (await h.request("/get/rt:1")).json()) as { source: string; value: string };
    expect(first).toMatchObject({ source: "db", value: "from-db" });
    const second = (await (await h.request("/get/rt:1")).json()) as { source: string; version: number };
    expect(second).toMatchObject({ source: "cache", version: v });
    expect(await h.redis.pttl(h.keys.cache("rt:1"))).toBeGreaterThan(0);
  });

  test("a write between the miss and the fill wins: the fill does not overwrite it", async () => {
    const v = await versionOf(await h.post("rt:race", "old"));
    await waitForDb(h.store, "rt:race", v);
    await h.redis.del(h.keys.cache("rt:race"));
    const p = h.keys.partition("rt:race");
    const fence = await h.redis.wbFence(h.keys.fence(p)); // the read's fence...
    const row = await h.store.get("rt:race"); // ...its database half...
    const newer = await versionOf(await h.post("rt:race", "new")); // ...a write lands...
    const filled = await h.redis.wbFill(h.keys.cache("rt:race"), h.keys.fence(p), row!.value, String(row!.version), 60000, fence); // ...then the fill
    expect(filled).toBe(0);
    expect(await (await h.request("/get/rt:race")).json()).toMatchObject({ value: "new", version: newer, source: "cache" });
  });

  test("a deleted key is not filled", async () => {
    await h.post("rt:gone", "x");
    const v = await versionOf(await del("rt:gone"));
    await waitForRaw("rt:gone", v);
    await h.redis.del(h.keys.cache("rt:gone"));
    expect((await h.request("/get/rt:gone")).status).toBe(404);
    expect(await h.redis.exists(h.keys.cache("rt:gone"))).toBe(0);
  });

  test("hits, misses and fills are counted", async () => {
    const text = await (await h.request("/metrics")).text();
    expect(text).toMatch(/writeback_cache_reads_total\{result="hit"\} [1-9]/);
    expect(text).toMatch(/writeback_cache_reads_total\{result="miss"\} [1-9]/);
    expect(text).toMatch(/^writeback_cache_fills_total [1-9]/m);
    expect(text).toMatch(/^writeback_redis_evicted_keys_total \d+/m);
  });
});

describe("bounded memory under eviction", () => {
  test("10x maxmemory of distinct keys through a 32 MB volatile-lru Redis: bounded, nothing lost, all readable", async () => {
    const redis = await PrivateRedis.start(["--maxmemory", "32mb", "--maxmemory-policy", "volatile-lru", "--appendfsync", "everysec"]);
    const p = await harness(dbUrl, { REDIS_URL: redis.url, CACHE_TTL_MS: "600000", MAX_BACKLOG: "3000", FLUSH_LINGER_MS: "10" });
    try {
      p.startFlusher(0);
      p.startFlusher(1);
      const value = "m".repeat(4000);
      const keys = 85_000; // ~340 MB of values: more than 10x maxmemory
      const acked = new Map<string, number>();
      const refusals: string[] = [];
      let maxUsed = 0;
      let next = 0;
      const sampler = setInterval(async () => {
        // What maxmemory bounds: used memory less the AOF and replication buffers, which
        // Redis does not count for eviction (mem_not_counted_for_evict).
        const info = (await p.redis.info("memory").catch(() => "")) as string;
        const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, "m").exec(info)?.[1] ?? 0);
        maxUsed = Math.max(maxUsed, field("used_memory") - field("mem_not_counted_for_evict"));
      }, 100);
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          while (next < keys) {
            const key = `mem:${next++}`;
            for (;;) {
              const r = await p.post(key, `${value}${key}`);
              if (r.status === 200) {
                acked.set(key, await versionOf(r));
                break;
              }
              const code = await errorOf(r);
              if (code !== "BACKPRESSURE") refusals.push(`${r.status} ${code}`);
              if (refusals.length > 0) return;
              await Bun.sleep(20); // Retry-After, shortened
            }
          }
        }),
      );
      clearInterval(sampler);
      expect(refusals).toEqual([]);
      expect(acked.size).toBe(keys);
      const stats = (await p.redis.info("stats")) as string;
      expect(Number(/evicted_keys:(\d+)/.exec(stats)?.[1])).toBeGreaterThan(0);
      expect(maxUsed).toBeLessThan(32 * 1024 * 1024 * 1.05);
      // Every acknowledged write reaches Postgres...
      await waitFor("all persisted", async () => (await p.redis.xlen(p.keys.stream(0))) === 0, 60_000);
      const rows = await p.sql.unsafe<{ key: string; version: string }[]>("SELECT key, version::text FROM writeback_kv WHERE key LIKE 'mem:%'");
      const stored = new Map(rows.map((r) => [r.key, Number(r.version)]));
      const missing = [...acked].filter(([k, v]) => stored.get(k) !== v);
      expect(missing).toEqual([]);
      // ...and every key reads back its last value through the cache (read-through when evicted).
      const bad: string[] = [];
      const all = [...acked.keys()];
      for (let i = 0; i < all.length; i += 256) {
        await Promise.all(
          all.slice(i, i + 256).map(async (key) => {
            const r = await p.request(`/get/${encodeURIComponent(key)}?source=cache`);
            const body = (await r.json()) as { value?: string };
            if (r.status !== 200 || body.value !== `${value}${key}`) bad.push(key);
          }),
        );
      }
      expect(bad).toEqual([]);
    } finally {
      await p.close();
      await redis.stop();
    }
  }, 240_000);
});

describe("migrations", () => {
  test("a fresh database gets every migration, recorded once each", async () => {
    const db = await createDatabase();
    const store = new PostgresStore({ url: db.url, max: 4, statementTimeoutMs: 5000, lockTimeoutMs: 2000 });
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      await Promise.all([store.migrate(), store.migrate(), store.migrate()]); // instances starting at once
      const applied = await sql.unsafe<{ id: number }[]>("SELECT id FROM writeback_migrations ORDER BY id");
      expect(applied.map((a) => a.id)).toEqual(MIGRATIONS.map((m) => m.id));
    } finally {
      await sql.end();
      await store.close();
      await db.drop();
    }
  });

  test("a database made by the first release upgrades in place with every row intact", async () => {
    const db = await createDatabase();
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    const store = new PostgresStore({ url: db.url, max: 2, statementTimeoutMs: 5000, lockTimeoutMs: 2000 });
    try {
      // The schema the first release created on every start, with rows in it.
      await sql.unsafe(`CREATE TABLE writeback_kv (key text PRIMARY KEY, value text NOT NULL, version bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()) WITH (fillfactor = 80)`);
      await sql.unsafe("INSERT INTO writeback_kv (key, value, version) SELECT 'old:' || i, 'v' || i, i FROM generate_series(1, 1000) i");
      await store.migrate();
      const [intact] = await sql.unsafe<{ n: string }[]>("SELECT count(*)::text AS n FROM writeback_kv WHERE value = 'v' || version");
      expect(Number(intact!.n)).toBe(1000);
      expect(await store.get("old:42")).toEqual({ value: "v42", version: 42 });
      await store.upsert([{ key: "old:42", value: null, version: 43 }]); // tombstones now fit
      expect(await store.get("old:42")).toBeUndefined();
    } finally {
      await sql.end();
      await store.close();
      await db.drop();
    }
  });

  test("a database newer than the binary (an unknown migration) is refused", async () => {
    const db = await createDatabase();
    const store = new PostgresStore({ url: db.url, max: 2, statementTimeoutMs: 5000, lockTimeoutMs: 2000 });
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      await store.migrate();
      await sql.unsafe("INSERT INTO writeback_migrations (id, name) VALUES (9999, '9999_from_the_future')");
      expect(store.migrate()).rejects.toBeInstanceOf(UnknownMigrationError);
    } finally {
      await sql.end();
      await store.close();
      await db.drop();
    }
  });
});
