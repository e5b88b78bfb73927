// The flusher and the write path under pressure: Redis out of memory, batches too large or too
// slow for one statement, a key too large for the index, a Redis that stalls. Against real
// Redis and Postgres: private redis-servers where a test needs Redis full or paused, a
// database for the file.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import Redis from "ioredis";
import postgres from "postgres";
import { randomBytes } from "node:crypto";
import { byBytes } from "../src/flusher/persist";
import { classify } from "../src/store/postgres/classify";
import { harness, waitForDb, type Harness } from "./helpers/harness";
import { waitFor } from "../src/testing/process";
import { createDatabase, PrivateRedis } from "../src/testing/services";

setDefaultTimeout(60_000);

let dbUrl: string;
let drop: () => Promise<void>;
let redis: PrivateRedis | undefined;
let h: Harness | undefined;
beforeAll(async () => {
  ({ url: dbUrl, drop } = await createDatabase());
});
afterAll(async () => drop?.());
afterEach(async () => {
  await h?.close();
  h = undefined;
  await redis?.stop();
  redis = undefined;
});

const versionOf = async (r: Response) => ((await r.json()) as { version: number }).version;
const admin = () => new Redis(redis!.url);

/** A harness on a private redis-server, which the test may fill or pause. */
async function privateHarness(env: Record<string, string> = {}, redisArgs: string[] = []): Promise<Harness> {
  redis = await PrivateRedis.start(redisArgs);
  h = await harness(dbUrl, { REDIS_URL: redis.url, FLUSH_RETRY_MAX_MS: "200", ...env });
  return h;
}

describe("Redis out of memory", () => {
  test("a rejected row is dead-lettered, not dropped, when a drain runs out of time under OOM", async () => {
    const h = await privateHarness();
    await h.sql.unsafe("ALTER TABLE writeback_kv ADD CONSTRAINT no_poison CHECK (value <> 'poison-oom')");
    try {
      expect((await h.post("oom:poison", "poison-oom")).status).toBe(200);
      const a = admin();
      await a.config("SET", "maxmemory", "1"); // Redis is full
      h.startFlusher();
      // The row is rejected; its dead letter must still be written, Redis full or not.
      await waitFor("the rejected row dead-lettered", async () => (await h.redis.xlen(h.keys.dead(0))) >= 1, 30_000);
      await h.drainFlushers(200);
      const dead = await a.xrange(h.keys.dead(0), "-", "+");
      const left = await a.xlen(h.keys.stream(0));
      a.disconnect();
      expect(await h.store.get("oom:poison")).toBeUndefined();
      // Somewhere it is: in the dead letters (and no longer in the stream), never in neither.
      expect(dead.length).toBe(1);
      expect(dead[0]![1]).toContain("oom:poison");
      expect(left).toBe(0);
    } finally {
      await h.sql.unsafe("ALTER TABLE writeback_kv DROP CONSTRAINT no_poison");
    }
  });

  test("the flusher starts and drains while Redis is over maxmemory", async () => {
    const h = await privateHarness();
    const v = await versionOf(await h.post("oom:start", "queued"));
    const a = admin();
    await a.config("SET", "maxmemory", "1");
    h.startFlusher();
    await waitForDb(h.store, "oom:start", v);
    await waitFor("stream trimmed", async () => (await a.xlen(h.keys.stream(0))) === 0);
    a.disconnect();
  });

  test("the stream, lease and cursor lost under OOM (a FLUSHALL while full): the flusher neither spins nor stops", async () => {
    const h = await privateHarness({ FLUSH_RETRY_MAX_MS: "500", FLUSH_CLAIM_IDLE_MS: "300", FLUSH_CLAIM_INTERVAL_MS: "100" });
    h.startFlusher();
    const first = await versionOf(await h.post("lost:1", "x"));
    await waitForDb(h.store, "lost:1", first);
    const a = admin();
    await a.del(h.keys.stream(0), h.keys.lease(0), h.keys.cursor(0));
    await a.config("SET", "maxmemory", "1");
    await Bun.sleep(300);
    const calls = async () => {
      const stats = (await a.info("commandstats")) as string;
      return ["xread", "evalsha", "eval"].reduce((n, cmd) => n + Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(stats)?.[1] ?? 0), 0);
    };
    const before = await calls();
    await Bun.sleep(1000);
    const perSecond = (await calls()) - before;
    await a.config("SET", "maxmemory", "0");
    a.disconnect();
    expect(perSecond).toBeLessThan(60); // reads block (FLUSH_BLOCK_MS); leases renew every 100 ms
    const second = await versionOf(await h.post("lost:2", "y"));
    await waitForDb(h.store, "lost:2", second);
  });

  test("Redis full of dirty entries under volatile-lru evicts no lease: the partition stays with its owner", async () => {
    // No clean entry ever gets a TTL here (CACHE_TTL_MS=0), as in a database outage: whatever
    // has a TTL is all Redis may evict when a write meets maxmemory.
    const h = await privateHarness({ CACHE_TTL_MS: "0", FLUSH_CLAIM_INTERVAL_MS: "100" }, ["--maxmemory-policy", "volatile-lru"]);
    h.startFlusher();
    const first = await versionOf(await h.post("full:first", "x"));
    await waitForDb(h.store, "full:first", first);
    const a = admin();
    const used = Number(/used_memory:(\d+)/.exec(await a.info("memory"))![1]);
    await a.config("SET", "maxmemory", String(used + 512 * 1024));
    let refused = 0;
    for (let i = 0; i < 20_000 && refused < 50; i++) if ((await h.post(`full:${i}`, "x".repeat(512))).status === 503) refused++;
    expect(refused).toBe(50); // Redis is full
    await Bun.sleep(300); // leases renewed meanwhile
    const evicted = Number(/evicted_keys:(\d+)/.exec(await a.info("stats"))![1]);
    await a.config("SET", "maxmemory", "0");
    a.disconnect();
    expect(evicted).toBe(0);
    expect(h.metrics.values["writeback_partition_takeovers_total"] ?? 0).toBe(0);
    const last = await versionOf(await h.post("full:last", "y"));
    await waitForDb(h.store, "full:last", last);
  });
});

describe("batches too large or too slow", () => {
  test("a backlog of large values is read and written in batches of about FLUSH_BATCH_BYTES", async () => {
    const h = await privateHarness({ FLUSH_BATCH_BYTES: String(4 * 1024 * 1024) });
    const big = "x".repeat(1024 * 1024 - 8); // within MAX_VALUE_BYTES with its suffix
    let last = 0;
    for (let i = 0; i < 24; i++) last = await versionOf(await h.post(`big:${i}`, big + i));
    h.startFlusher();
    await waitForDb(h.store, "big:23", last, 30_000);
    const batches = h.metrics.values["writeback_batches_total"]!;
    expect(batches).toBeGreaterThanOrEqual(6); // 24 MiB in batches of at most ~4 MiB
    for (let i = 0; i < 24; i += 7) expect((await h.store.get(`big:${i}`))?.value).toBe(big + i);
  });

  test("a batch that runs past statement_timeout is split until it goes through", async () => {
    const h = await privateHarness({ DB_STATEMENT_TIMEOUT_MS: "300" });
    const value = "v".repeat(2048);
    await Promise.all(Array.from({ length: 20_000 }, (_, i) => h.post(`slow:${i}`, `${value}${i}`)));
    h.startFlusher();
    await waitFor(
      "every row written",
      async () => Number((await h.sql.unsafe<{ n: string }[]>("SELECT count(*)::text AS n FROM writeback_kv WHERE key LIKE 'slow:%'"))[0]!.n) === 20_000,
      50_000,
    );
  });

  test("byBytes keeps every run within the limit, and a row larger than it alone", () => {
    const row = (key: string, size: number) => ({ key, value: "x".repeat(size), version: 1, id: "1-0" });
    const parts = byBytes([row("a", 40), row("b", 40), row("c", 200), row("d", 10)], 100);
    expect(parts.map((p) => p.map((r) => r.key))).toEqual([["a", "b"], ["c"], ["d"]]);
  });
});

describe("a key too large for the index", () => {
  test("is dead-lettered (SQLSTATE 54000 is about the row) and the writes behind it persist", async () => {
    const h = await privateHarness();
    const huge = randomBytes(1600).toString("hex"); // 3200 incompressible bytes: over the btree's 2704
    await h.redis.xadd(h.keys.stream(0), "*", "k", huge, "v", "x", "ver", "5");
    const v = await versionOf(await h.post("after-huge", "ok"));
    h.startFlusher();
    await waitForDb(h.store, "after-huge", v);
    await waitFor("dead-lettered", async () => (await h.redis.xlen(h.keys.dead(0))) === 1);
    const fields = (await h.redis.xrange(h.keys.dead(0), "-", "+"))[0]![1];
    expect(fields.join(" ")).toContain("54000");
  });

  test("errors are classified by SQLSTATE of a Postgres error only", () => {
    // The driver's own class (tests/classify.test.ts has the errors the server really sends).
    const pg = (code: string) => new postgres.PostgresError({ message: "x", code } as never);
    expect(classify(pg("54000"))).toBe("permanent");
    expect(classify(pg("23514"))).toBe("permanent");
    expect(classify(pg("57014"))).toBe("split");
    expect(classify(pg("08006"))).toBe("transient");
    expect(classify(pg("42P01"))).toBe("transient");
    expect(classify(pg("40P01"))).toBe("transient");
    // an errno is five capitals too, but it is no SQLSTATE
    expect(classify(Object.assign(new Error("broken pipe"), { code: "EPIPE" }))).toBe("transient");
    // and an error that merely calls itself PostgresError is none
    expect(classify(Object.assign(new Error("x"), { name: "PostgresError", code: "23514" }))).toBe("transient");
  });
});

describe("a Redis stall", () => {
  test("every write answers within REDIS_COMMAND_TIMEOUT_MS, also those queued behind a hanging call", async () => {
    const timeoutMs = 2000;
    const h = await privateHarness({ REDIS_COMMAND_TIMEOUT_MS: String(timeoutMs) });
    expect((await h.post("stall:0", "x")).status).toBe(200);
    const a = admin();
    await a.client("PAUSE", String(3 * timeoutMs), "ALL"); // longer than the last write's arrival plus its timeout
    const times: number[] = [];
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        await Bun.sleep(i * 0.15 * timeoutMs); // arriving while earlier calls hang
        const t = performance.now();
        const r = await h.post(`stall:${i}`, "y");
        statuses.push(r.status);
        times.push(performance.now() - t);
      }),
    );
    await a.client("UNPAUSE");
    a.disconnect();
    expect(statuses.every((s) => s === 503)).toBe(true);
    // One timeout, not two: a write queued behind a hanging call waited for that call's
    // timeout and then its own, 1.85 timeouts for the second write. The bound sits halfway,
    // half a timeout (a second) above what a correct write takes, for a busy machine.
    expect(Math.max(...times)).toBeLessThan(1.5 * timeoutMs);
  });
});
