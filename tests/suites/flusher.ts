// The write path and the flusher against real Redis and Postgres: atomic versions under
// concurrency, coalescing, the version guard, trimming, dead letters and recovery.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RedisLog } from "../../src/cache/partitions";
import { coalesce } from "../../src/flusher/coalesce";
import { harness, waitForDb, type Harness } from "../helpers/harness";
import { createDatabase } from "../../src/testing/services";
import { waitFor } from "../../src/testing/process";

/** The suite, against the Redis `target()` names (REDIS_URL, ...); it looks at partition 0's stream, so it runs with one partition. */
export function flusherSuite(target: () => Record<string, string>): void {
  let dbUrl: string;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ url: dbUrl, drop } = await createDatabase());
  });
  afterAll(async () => drop?.());

  const versionOf = async (r: Response) => ((await r.json()) as { version: number }).version;

  describe("write path", () => {
    let h: Harness;
    beforeAll(async () => {
      h = await harness(dbUrl, target());
      h.startFlusher(0);
      h.startFlusher(1);
    });
    afterAll(async () => h?.close());

    test("200 concurrent writers to one key: cache == database == highest acknowledged version", async () => {
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => h.post("hot", `w${i}`)));
      const acked = await Promise.all(
        results.map(async (r) => {
          expect(r.status).toBe(200);
          return versionOf(r);
        }),
      );
      expect(new Set(acked).size).toBe(200); // no two writes share a version
      const highest = Math.max(...acked);
      const winner = `w${acked.indexOf(highest)}`;
      const cached = (await (await h.request("/get/hot")).json()) as { value: string; version: number };
      expect(cached).toMatchObject({ value: winner, version: highest });
      await waitForDb(h.store, "hot", highest);
      expect(await h.store.get("hot")).toEqual({ value: winner, version: highest });
    });

    test("a burst larger than one script call: every write answered with its own version, in order per key", async () => {
      // 700 writes in one turn: the writer sends them as several calls of at most 256 writes.
      const results = await Promise.all(Array.from({ length: 700 }, (_, i) => h.post(`burst:${i % 7}`, `b${i}`)));
      const versions = await Promise.all(results.map((r) => versionOf(r)));
      expect(results.every((r) => r.status === 200)).toBe(true);
      for (let k = 0; k < 7; k++) {
        // writes to one key were sent in request order, so their versions rise in that order
        const mine = versions.filter((_, i) => i % 7 === k);
        expect(mine).toEqual([...mine].sort((a, b) => a - b));
        expect(new Set(mine).size).toBe(100);
        const last = mine[mine.length - 1]!;
        await waitForDb(h.store, `burst:${k}`, last);
        expect(await h.store.get(`burst:${k}`)).toEqual({ value: `b${693 + k}`, version: last });
      }
    });

    test("committed entries are removed from the stream: it drains to zero, and the cursor is at the last one", async () => {
      for (let i = 0; i < 300; i++) await h.post(`trim:${i % 50}`, `v${i}`);
      const last = (await h.redis.xrevrange(h.keys.stream(0), "+", "-", "COUNT", 1))[0]![0];
      await waitFor("stream drained", async () => (await h.redis.xlen(h.keys.stream(0))) === 0);
      await waitFor("cursor at the last entry", async () => (await h.redis.hget(h.keys.cursor(0), "id")) === last);
      expect(await h.redis.xinfo("GROUPS", h.keys.stream(0))).toEqual([]); // no per-entry bookkeeping
    });

    test("a commit moves the cursor and trims up to the last entry read, never past it, and only under the lease it was read with", async () => {
      const k = { ...h.keys, stream: () => `${h.keys.stream(0)}:trim`, lease: () => `${h.keys.lease(0)}:trim`, cursor: () => `${h.keys.cursor(0)}:trim` };
      const log = new RedisLog(h.redis, k, 1000);
      const add = () => h.redis.xadd(k.stream(), "*", "k", "x", "v", "1", "ver", "1") as Promise<string>;
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) ids.push(await add());
      const claim = (await log.claim(0, { consumer: "trim-0", name: "trim", process: "a" }, 60_000))!;
      expect(claim).toMatchObject({ cursor: "0-0", tries: 0 });
      // A commit of the first three under the lease: they go; the rest stays.
      expect(await log.commit([{ p: 0, token: claim.token, upTo: `${ids[2]}@0`, dead: [] }])).toEqual([]);
      expect((await h.redis.xrange(k.stream(), "-", "+")).map(([id]) => id)).toEqual(ids.slice(3));
      // The lease passes to another owner (a stall past its life): the old token commits nothing.
      await h.redis.del(k.lease());
      const next = (await log.claim(0, { consumer: "other-0", name: "other", process: "b" }, 60_000))!;
      expect(next.cursor).toBe(ids[2]!);
      expect(await log.commit([{ p: 0, token: claim.token, upTo: `${ids[5]}@0`, dead: [] }])).toEqual([0]);
      expect(await h.redis.xlen(k.stream())).toBe(3);
      expect(await h.redis.hget(k.cursor(), "id")).toBe(ids[2]!);
      // The cursor never moves back.
      expect(await log.commit([{ p: 0, token: next.token, upTo: `${ids[0]}@0`, dead: [] }])).toEqual([]);
      expect(await h.redis.hget(k.cursor(), "id")).toBe(ids[2]!);
      await h.redis.del(k.stream(), k.lease(), k.cursor());
    });

    /** Partition 0's keys under names of their own (same hash tag), away from the flushers running here. */
    const aside = (tag: string) => ({
      ...h.keys,
      stream: () => `${h.keys.stream(0)}:${tag}`,
      lease: () => `${h.keys.lease(0)}:${tag}`,
      cursor: () => `${h.keys.cursor(0)}:${tag}`,
      dead: () => `${h.keys.dead(0)}:${tag}`,
      fence: () => `${h.keys.fence(0)}:${tag}`,
    });

    test("a lease given back while an entry is flushed alone names no suspect: the next owner flushes that entry rather than dead-letter it", async () => {
      const k = aside("given");
      const log = new RedisLog(h.redis, k, 1000);
      const id = (await h.redis.xadd(k.stream(), "*", "k", "x", "v", "1", "ver", "1")) as string;
      // Owners crashed on the partition too often: the next one flushes it one entry at a time.
      await h.redis.hset(k.cursor(), "id", "0-0", "epoch", "5", "held", "1", "tries", "3");
      const first = (await log.claim(0, { consumer: "given-0", name: "given", process: "a" }, 60_000))!;
      expect(first.tries).toBe(4);
      expect(await log.suspect(first, `${id}@0`)).toBe(true);
      // A stop's drain deadline passes while that entry is written: the lease is given back.
      await log.release([first]);
      const next = (await log.claim(0, { consumer: "other-0", name: "other", process: "b" }, 60_000))!;
      expect(next.tries).toBe(4); // a release is not a crash: no try counted
      expect(next.suspect).toBe(""); // and the entry did not crash anyone
      await h.redis.del(k.stream(), k.lease(), k.cursor());
    });

    test("a lease ends early only for an earlier life of the consumer (the same consumer, or its name in another process), and the next claim still counts the crash", async () => {
      const k = aside("lapse");
      const log = new RedisLog(h.redis, k, 1000);
      await h.redis.xadd(k.stream(), "*", "k", "x", "v", "1", "ver", "1");
      const dead = (await log.claim(0, { consumer: "solo-1", name: "solo", process: "a" }, 60_000))!;
      // Live others: another consumer, and another thread of the same process.
      expect(await log.lapse(0, { consumer: "other-0", name: "other", process: "b" })).toBe(false);
      expect(await log.lapse(0, { consumer: "solo-0", name: "solo", process: "a" })).toBe(false);
      expect(await h.redis.exists(k.lease())).toBe(1);
      // The same name in a new process (killed, restarted): an earlier life.
      expect(await log.lapse(0, { consumer: "solo-0", name: "solo", process: "b" })).toBe(true);
      expect(await h.redis.exists(k.lease())).toBe(0);
      const next = (await log.claim(0, { consumer: "other-0", name: "other", process: "c" }, 60_000))!;
      expect(next.tries).toBe(dead.tries + 1); // ended as a lapse is, not given back as a release is
      await h.redis.del(k.stream(), k.lease(), k.cursor());
    });

    test("a commit sent again after its reply was lost (a reconnect) writes its dead letters once", async () => {
      const k = aside("replay");
      const log = new RedisLog(h.redis, k, 1000);
      const id = (await h.redis.xadd(k.stream(), "*", "k", "x", "v", "1", "ver", "1")) as string;
      const claim = (await log.claim(0, { consumer: "replay-0", name: "replay", process: "a" }, 60_000))!;
      const commit = [{ p: 0, token: claim.token, upTo: `${id}@0`, dead: [{ id: `${id}@0`, fields: ["k", "x", "v", "1", "ver", "1"], reason: "rejected by the database" as const, error: "23514" }] }];
      expect(await log.commit(commit)).toEqual([]);
      expect(await log.commit(commit)).toEqual([]);
      expect(await h.redis.xlen(k.dead())).toBe(1);
      expect(await h.redis.xlen(k.stream())).toBe(0);
      await h.redis.del(k.stream(), k.lease(), k.cursor(), k.dead());
    });

    test("a fence the TTL step finds missing (Redis lost its data) starts at the server's time, unlike any fence read before the loss", async () => {
      const k = aside("fresh");
      await new RedisLog(h.redis, k, 1000).clean([{ key: "fence:fresh", version: 1, id: "1-0@0" }], 60_000);
      const fence = Number(await h.redis.get(k.fence()));
      expect(fence).toBeGreaterThan((Date.now() - 60_000) * 1000); // microseconds, as fence.lua starts one
      await h.redis.del(k.fence());
    });

    test("the version guard: an older batch never overwrites a newer row", async () => {
      await h.store.upsert([{ key: "guard", value: "new", version: 200 }]);
      const changed = await h.store.upsert([{ key: "guard", value: "old", version: 100 }]);
      expect(changed).toBe(0);
      expect(await h.store.upsert([{ key: "guard", value: "same", version: 200 }])).toBe(0); // a replay is a no-op
      expect(await h.store.get("guard")).toEqual({ value: "new", version: 200 });
    });

    test("out-of-order stream entries: the database ends on the highest version", async () => {
      // Entries appended straight to the stream, newest first, as a reclaim after a crash could deliver them.
      await h.redis.xadd(h.keys.stream(0), "*", "k", "ooo", "v", "newer", "ver", "3000");
      await h.redis.xadd(h.keys.stream(0), "*", "k", "ooo", "v", "older", "ver", "2000");
      await waitFor("drained", async () => (await h.redis.xlen(h.keys.stream(0))) === 0);
      expect(await h.store.get("ooo")).toEqual({ value: "newer", version: 3000 });
    });

    test("versions stay monotonic after Redis loses the key: the next write still wins in Postgres", async () => {
      const before = await versionOf(await h.post("lost", "before"));
      await waitForDb(h.store, "lost", before);
      await h.redis.del(h.keys.cache("lost")); // what a FLUSHALL or an empty failover does to the key
      const after = await versionOf(await h.post("lost", "after"));
      expect(after).toBeGreaterThan(before);
      await waitForDb(h.store, "lost", after);
      expect(await h.store.get("lost")).toEqual({ value: "after", version: after });
    });
  });

  describe("backpressure", () => {
    test("when the oldest unpersisted write is older than MAX_LAG_MS, writes answer 503 until it is flushed", async () => {
      // MAX_LAG_MS may not be below the time a dead consumer's entries take to be reclaimed.
      const h = await harness(dbUrl, { ...target(), MAX_LAG_MS: "300", FLUSH_CLAIM_IDLE_MS: "200", FLUSH_CLAIM_INTERVAL_MS: "100" });
      try {
        expect((await h.post("lag:1", "a")).status).toBe(200); // no flusher yet: it stays unpersisted
        await Bun.sleep(400);
        const refused = await h.post("lag:2", "b");
        expect(refused.status).toBe(503);
        expect(refused.headers.get("retry-after")).toBe("1");
        expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("BACKPRESSURE");
        expect(await h.redis.exists(h.keys.cache("lag:2"))).toBe(0); // refused whole
        h.startFlusher();
        await waitFor("writes accepted again", async () => (await h.post("lag:3", "c")).status === 200);
      } finally {
        await h.close();
      }
    });
  });

  describe("coalescing", () => {
    test("one row per key, the highest version, keys sorted", () => {
      const c = coalesce([
        ["1-0", ["k", "b", "v", "b1", "ver", "10"]],
        ["2-0", ["k", "a", "v", "a1", "ver", "11"]],
        ["3-0", ["k", "b", "v", "b3", "ver", "30"]],
        ["4-0", ["k", "b", "v", "b2", "ver", "20"]],
        ["5-0", ["k", "c"]],
        ["6-0", null],
      ]);
      expect(c.rows.map((r) => [r.key, r.value, r.version])).toEqual([
        ["a", "a1", 11],
        ["b", "b3", 30],
      ]);
      expect(c.ids).toEqual(["1-0", "2-0", "3-0", "4-0"]);
      expect(c.poison.map((p) => p.id)).toEqual(["5-0", "6-0"]);
    });

    test("a backlog is gathered over several reads into batches of up to FLUSH_BATCH entries", async () => {
      for (const [batch, expected] of [
        ["25000", 1], // 5,000 entries: ten reads of READ_CHUNK (500), one commit
        ["1500", 4], // 1,500 + 1,500 + 1,500 + 500
      ] as const) {
        const h = await harness(dbUrl, { ...target(), FLUSH_BATCH: batch });
        try {
          await Promise.all(Array.from({ length: 5000 }, (_, i) => h.post(`gather:${i}`, "v")));
          h.startFlusher();
          await waitFor("drained", async () => (await h.redis.xlen(h.keys.stream(0))) === 0);
          expect(h.metrics.values["writeback_flushed_entries_total"]).toBe(5000);
          expect(h.metrics.values["writeback_batches_total"]).toBe(expected);
          // every entry's write-to-commit time is observed once
          expect(h.metrics.hists["writeback_persist_lag_seconds"]?.count).toBe(5000);
        } finally {
          await h.close();
        }
      }
    });

    test("1,000 writes to 10 keys reach Postgres as far fewer rows", async () => {
      const h = await harness(dbUrl, target());
      try {
        const last = new Map<string, number>();
        await Promise.all(
          Array.from({ length: 1000 }, async (_, i) => {
            const v = await versionOf(await h.post(`co:${i % 10}`, `v${i}`));
            last.set(`co:${i % 10}`, Math.max(last.get(`co:${i % 10}`) ?? 0, v));
          }),
        );
        h.startFlusher(); // starts after the writes: they wait in the stream as one backlog
        await waitFor("drained", async () => (await h.redis.xlen(h.keys.stream(0))) === 0);
        const rows = h.metrics.values["writeback_flushed_rows_total"]!;
        const entries = h.metrics.values["writeback_flushed_entries_total"]!;
        expect(entries).toBe(1000);
        expect(rows).toBeLessThanOrEqual(50); // at most 10 keys x a few batches
        for (const [key, v] of last) expect((await h.store.get(key))?.version).toBe(v);
      } finally {
        await h.close();
      }
    });
  });

  describe("dead letters and recovery", () => {
    test("a poison entry is dead-lettered and never blocks the good entries around it", async () => {
      const h = await harness(dbUrl, target());
      try {
        await h.post("good:1", "a");
        await h.redis.xadd(h.keys.stream(0), "*", "k", "poison:nul", "v", "bad\u0000", "ver", "5"); // Postgres rejects
        await h.redis.xadd(h.keys.stream(0), "*", "k", "poison:fields"); // malformed
        const v2 = await versionOf(await h.post("good:2", "b"));
        h.startFlusher();
        await waitForDb(h.store, "good:2", v2);
        expect((await h.store.get("good:1"))?.value).toBe("a");
        await waitFor("stream drained", async () => (await h.redis.xlen(h.keys.stream(0))) === 0);

        const list = (await (await h.request("/dead-letters")).json()) as {
          deadLetters: { id: string; key: string; reason: string; error: string }[];
        };
        expect(list.deadLetters.map((d) => d.key).sort()).toEqual(["poison:fields", "poison:nul"]);
        const nul = list.deadLetters.find((d) => d.key === "poison:nul")!;
        expect(nul.reason).toBe("rejected by the database");
        expect(nul.error).toContain("22021"); // SQLSTATE character_not_in_repertoire
        expect(await h.store.get("poison:nul")).toBeUndefined();
        const metrics = await (await h.request("/metrics")).text();
        expect(metrics).toContain("writeback_dead_letter_entries 2");
      } finally {
        await h.close();
      }
    });

    test("a re-driven dead letter goes through the version guard", async () => {
      const h = await harness(dbUrl, target());
      try {
        h.startFlusher();
        // A dead letter holding an old version of a key that has since been written again.
        const fresh = await versionOf(await h.post("redrive", "fresh"));
        await waitForDb(h.store, "redrive", fresh);
        await h.redis.xadd(h.keys.dead(0), "*", "k", "redrive", "v", "stale", "ver", String(fresh - 1), "reason", "test");
        const recent = String(Date.now() * 1000 - 1); // a version within the tombstone retention
        await h.redis.xadd(h.keys.dead(0), "*", "k", "redrive:new", "v", "revived", "ver", recent, "reason", "test");
        const r = await h.request("/dead-letters/redrive", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ all: true }),
        });
        expect(await r.json()).toEqual({ redriven: 2, expired: 0 });
        await waitForDb(h.store, "redrive:new", Number(recent));
        expect(await h.store.get("redrive")).toEqual({ value: "fresh", version: fresh });
        expect(await h.redis.xlen(h.keys.dead(0))).toBe(0);
      } finally {
        await h.close();
      }
    });

    test("a partition whose owner died is taken over once its lease lapses, and read again from the cursor", async () => {
      const h = await harness(dbUrl, { ...target(), FLUSH_CLAIM_IDLE_MS: "300", FLUSH_CLAIM_INTERVAL_MS: "100" });
      try {
        const v = await versionOf(await h.post("orphan", "x"));
        // An owner that claimed the partition, read the entry and died before committing it.
        const dead = await new RedisLog(h.redis, h.keys, 1000).claim(0, { consumer: "dead-0", name: "dead", process: "gone" }, 300);
        expect(dead).toBeDefined();
        h.startFlusher();
        await waitForDb(h.store, "orphan", v);
        expect(h.metrics.values["writeback_reclaimed_entries_total"]).toBe(1);
        expect(h.metrics.values["writeback_partition_takeovers_total"]).toBe(1);
        await waitFor("drained", async () => (await h.redis.xlen(h.keys.stream(0))) === 0);
      } finally {
        await h.close();
      }
    });

    /** The state owners that kept crashing on `id` leave behind (claim.lua): held, tries, and the entry they last flushed alone. */
    const crashedOn = (h: Harness, id: string, tries: number) => h.redis.hset(h.keys.cursor(0), "id", "0-0", "epoch", "5", "held", "1", "tries", String(tries), "suspect", id);

    test("an entry its owners crashed on more than FLUSH_MAX_DELIVERIES times is dead-lettered; the entries beside it persist", async () => {
      const h = await harness(dbUrl, { ...target(), FLUSH_MAX_DELIVERIES: "2" });
      try {
        await h.post("crashy", "x");
        const after = await versionOf(await h.post("crash:after", "b"));
        const [crashy] = (await h.redis.xrange(h.keys.stream(0), "-", "+")).map(([id]) => id);
        await crashedOn(h, crashy!, 2); // this start is the third try
        h.startFlusher(0);
        await waitFor("dead-lettered", async () => (await h.redis.xlen(h.keys.dead(0))) === 1);
        const fields = (await h.redis.xrange(h.keys.dead(0), "-", "+"))[0]![1];
        expect(fields).toContain("too many deliveries");
        await waitForDb(h.store, "crash:after", after);
        expect(await h.store.get("crashy")).toBeUndefined();
        await waitFor("tries start over", async () => (await h.redis.hget(h.keys.cursor(0), "tries")) === "0");
      } finally {
        await h.close();
      }
    });

    test("a partition whose owners crashed too often is flushed one entry at a time up to where they reached, then in batches again", async () => {
      const h = await harness(dbUrl, { ...target(), FLUSH_MAX_DELIVERIES: "1" });
      try {
        for (let i = 0; i < 5; i++) await h.post(`alone:${i}`, "x");
        await crashedOn(h, "", 1);
        h.startFlusher(0);
        await waitFor("drained", async () => (await h.redis.xlen(h.keys.stream(0))) === 0);
        for (let i = 0; i < 5; i++) expect(await h.store.get(`alone:${i}`)).toMatchObject({ value: "x" });
        expect(h.metrics.values["writeback_batches_total"]).toBe(5); // one per entry
        await waitFor("tries start over", async () => (await h.redis.hget(h.keys.cursor(0), "tries")) === "0");
        const v = await versionOf(await h.post("alone:later", "y"));
        await waitForDb(h.store, "alone:later", v);
        expect(await h.redis.xlen(h.keys.dead(0))).toBe(0);
      } finally {
        await h.close();
      }
    });
  });

  describe("entries of large values carry no value (the cache hash holds it)", () => {
    test("an unpersisted write of a large value costs Redis its value once: the stream holds its key and version", async () => {
      const h = await harness(dbUrl, target());
      try {
        const value = "v".repeat(10_000);
        for (let i = 0; i < 100; i++) expect((await h.post(`big:${i}`, value)).status).toBe(200);
        const streamBytes = Number(await h.redis.call("MEMORY", "USAGE", h.keys.stream(0), "SAMPLES", "0"));
        expect(streamBytes).toBeLessThan(100 * 1000); // the values alone would be 1,000,000 bytes
        const [, fields] = (await h.redis.xrange(h.keys.stream(0), "-", "+", "COUNT", 1))[0]!;
        expect(fields).toEqual(["k", "big:0", "ver", expect.any(String), "n", "10000"]);
        // A small value travels in the entry too: reading it back from the hash would cost more.
        await h.post("small", "tiny");
        const [, last] = (await h.redis.xrevrange(h.keys.stream(0), "+", "-", "COUNT", 1))[0]!;
        expect(last).toEqual(["k", "small", "v", "tiny", "ver", expect.any(String)]);
        h.startFlusher();
        await waitFor("persisted", async () => (await h.store.get("big:99"))?.value === value);
        expect((await h.store.get("big:0"))?.value).toBe(value);
      } finally {
        await h.close();
      }
    });

    test("a write whose value was overwritten before the flush persists the newer value and version", async () => {
      const h = await harness(dbUrl, target());
      try {
        const [older, newer] = ["old".repeat(200), "new".repeat(200)];
        await h.post("big:k", older);
        const v2 = await versionOf(await h.post("big:k", newer));
        // Only the first write's entry is read: the flusher finds the newer value in the hash.
        const [first] = (await h.redis.xrange(h.keys.stream(0), "-", "+", "COUNT", 1))!;
        await h.redis.xtrim(h.keys.stream(0), "MINID", first![0]);
        h.startFlusher();
        await waitForDb(h.store, "big:k", v2);
        expect(await h.store.get("big:k")).toMatchObject({ value: newer, version: v2 });
      } finally {
        await h.close();
      }
    });

    test("an entry whose cache entry is gone: acknowledged if the database has it, else a dead letter naming the key", async () => {
      const h = await harness(dbUrl, target());
      try {
        const big = "a".repeat(1000);
        const v = await versionOf(await h.post("gone:persisted", big));
        h.startFlusher();
        await waitForDb(h.store, "gone:persisted", v);
        await h.drainFlushers(2000);
        // A replay of that entry after its clean cache entry expired: nothing to do.
        await h.redis.del(h.keys.cache("gone:persisted"));
        await h.redis.xadd(h.keys.stream(0), "*", "k", "gone:persisted", "ver", String(v), "n", "1");
        // A write whose cache entry was removed before it was persisted (an allkeys-* eviction).
        const lostVersion = await versionOf(await h.post("gone:lost", big));
        await h.redis.del(h.keys.cache("gone:lost"));
        h.startFlusher();
        await waitFor("stream drained", async () => (await h.redis.xlen(h.keys.stream(0))) === 0);
        const list = (await (await h.request("/dead-letters")).json()) as { deadLetters: { key: string; version: number; reason: string; value: string | null }[] };
        expect(list.deadLetters).toEqual([expect.objectContaining({ key: "gone:lost", version: lostVersion, reason: "value missing from the cache", value: null })]);
        expect(await h.store.get("gone:lost")).toBeUndefined();
        expect((await h.store.get("gone:persisted"))?.value).toBe(big);
      } finally {
        await h.close();
      }
    });

    test("a write dead-lettered after too many deliveries keeps its value", async () => {
      const h = await harness(dbUrl, { ...target(), FLUSH_MAX_DELIVERIES: "1" });
      try {
        await h.post("dl:tired", "its value".repeat(100));
        const id = (await h.redis.xrange(h.keys.stream(0), "-", "+"))[0]![0];
        await h.redis.hset(h.keys.cursor(0), "id", "0-0", "held", "1", "tries", "1", "suspect", id!);
        h.startFlusher(0); // its claim is the second try
        await waitFor("dead-lettered", async () => (await h.redis.xlen(h.keys.dead(0))) === 1);
        const list = (await (await h.request("/dead-letters")).json()) as { deadLetters: { key: string; value: string | null; reason: string }[] };
        expect(list.deadLetters[0]).toMatchObject({ key: "dl:tired", value: "its value".repeat(100), reason: "too many deliveries" });
      } finally {
        await h.close();
      }
    });
  });

  describe("the entry format", () => {
    test("keys and values with any characters, empty values and large emoji values reach Postgres exactly", async () => {
      const h = await harness(dbUrl, target());
      try {
        const pairs = [["fmt:a=b", "1=2"], ["fmt:#", "#5"], ["fmt:-", "-"], ["fmt:ß🙂", "🙂".repeat(300)], ["fmt:empty", ""]];
        const versions = await Promise.all(pairs.map(async ([k, v]) => versionOf(await h.post(k!, v!))));
        h.startFlusher();
        for (const [i, [k, v]] of pairs.entries()) {
          await waitForDb(h.store, k!, versions[i]!);
          expect((await h.store.get(k!))?.value).toBe(v!);
        }
      } finally {
        await h.close();
      }
    });
  });

  describe("memory", () => {
    test("flusher threads that stop drained give their partitions back and leave the members", async () => {
      const h = await harness(dbUrl, target());
      try {
        const flushers = [h.startFlusher(0), h.startFlusher(1)];
        for (let i = 0; i < 50; i++) expect((await h.post(`leave:${i}`, "x")).status).toBe(200);
        await waitFor("flushed", async () => (await h.redis.xlen(h.keys.stream(0))) === 0);
        const names = flushers.map((f) => f.consumer);
        expect(await h.redis.zrange(h.keys.members, "0", "-1")).toEqual(expect.arrayContaining(names));
        await h.drainFlushers(5000);
        expect(await h.redis.zrange(h.keys.members, "0", "-1")).toEqual([]);
        expect(await h.redis.exists(h.keys.lease(0))).toBe(0);
        expect(await h.redis.hget(h.keys.cursor(0), "held")).toBe("0"); // released, not crashed: no try counted
        for (let i = 0; i < 50; i++) expect(await h.store.get(`leave:${i}`)).toMatchObject({ value: "x" });
      } finally {
        await h.close();
      }
    });

    test("the consumer group of the release before leases is removed once none of its consumers is active, and its pending entries are persisted", async () => {
      const h = await harness(dbUrl, { ...target(), FLUSH_CLAIM_IDLE_MS: "300", FLUSH_CLAIM_INTERVAL_MS: "100" });
      try {
        const v = await versionOf(await h.post("old:1", "x"));
        // An instance of the earlier release read the write and was stopped before acknowledging it.
        await h.redis.xgroup("CREATE", h.keys.stream(0), h.keys.group, "0");
        await h.redis.xreadgroup("GROUP", h.keys.group, "old-instance", "COUNT", 10, "STREAMS", h.keys.stream(0), ">");
        await Bun.sleep(400); // idle past FLUSH_CLAIM_IDLE_MS
        h.startFlusher(0);
        await waitForDb(h.store, "old:1", v);
        expect(await h.redis.xinfo("GROUPS", h.keys.stream(0))).toEqual([]);
        await waitFor("drained", async () => (await h.redis.xlen(h.keys.stream(0))) === 0);
      } finally {
        await h.close();
      }
    });

    test("a flusher keeps nothing of the batches it flushed (100,000 writes of 600 bytes)", async () => {
      const { setScriptArgs } = await import("../../src/cache/writer");
      const h = await harness(dbUrl, { ...target(), FLUSH_BATCH: "2000" });
      try {
        const heap = () => {
          Bun.gc(true);
          return process.memoryUsage().heapUsed;
        };
        h.startFlusher();
        const value = "m".repeat(600);
        // Warm up (connections, JIT, the first statements) before the baseline.
        await h.redis.wbSet(...setScriptArgs(h.keys, Array.from({ length: 500 }, (_, i) => ({ op: "s" as const, key: `mem:w${i}`, value })), 0, 0));
        await waitFor("warm-up flushed", async () => (await h.redis.xlen(h.keys.stream(0))) === 0);
        const before = heap();
        for (let i = 0; i < 100_000; i += 500) {
          await h.redis.wbSet(...setScriptArgs(h.keys, Array.from({ length: 500 }, (_, j) => ({ op: "s" as const, key: `mem:${i + j}`, value })), 0, 0));
        }
        await waitFor("flushed", async () => (await h.redis.xlen(h.keys.stream(0))) === 0, 60_000);
        // It flushed them all (so it had every batch in hand)...
        const [{ n }] = await h.sql.unsafe<[{ n: number }]>("SELECT count(*)::int AS n FROM writeback_kv WHERE key LIKE 'mem:%'");
        expect(n).toBe(100_500);
        // ...and kept none: the values alone are 60 MB, a flusher that held on to its batches
        // would keep them. What a busy collector has not reclaimed yet is no leak: the heap is
        // measured again (each time after a full collection) until it is back, for up to 20 s.
        let grown = heap() - before;
        for (const deadline = Date.now() + 20_000; grown >= 20 * 1024 * 1024 && Date.now() < deadline; grown = heap() - before) await Bun.sleep(500);
        expect(grown).toBeLessThan(20 * 1024 * 1024);
      } finally {
        await h.close();
      }
    }, 90_000);
  });
}
