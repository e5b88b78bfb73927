// One contract for the Store interface, run against every store: the same cases, not three
// copies. What the flusher and the read path rely on: versions, the guard, tombstones, exact
// round-trips of keys and values, migrations, ownership, and classification of a bad row.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MAX_KEY_LIMIT } from "../src/config";
import { openStore } from "../src/store/open";
import type { Store } from "../src/store/store";
import { createStoreDatabase, STORE_KINDS } from "../src/testing/services";

describe.each(STORE_KINDS)("%s store", (kind) => {
  let store: Store;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const db = await createStoreDatabase(kind);
    drop = db.drop;
    store = openStore({ url: db.url, max: 4, statementTimeoutMs: 5000, lockTimeoutMs: 2000 });
    await store.migrate();
  });
  afterAll(async () => {
    try {
      await store?.close();
    } finally {
      await drop?.();
    }
  });

  test("instances claiming the owner at once of an empty database all read the one that won", async () => {
    for (let round = 0; round < 3; round++) {
      const db = await createStoreDatabase(kind);
      const stores = Array.from({ length: 8 }, () => openStore({ url: db.url, max: 1, statementTimeoutMs: 5000, lockTimeoutMs: 2000 }));
      try {
        await stores[0]!.migrate();
        await Promise.all(stores.map((s) => s.ping())); // connected, so the claims really race
        const owners = await Promise.all(stores.map((s, i) => s.claimOwner(`claim-${i}:`)));
        expect(new Set(owners).size).toBe(1);
      } finally {
        for (const s of stores) await s.close();
        await db.drop();
      }
    }
  });

  test("migrations are idempotent, also when several run at once", async () => {
    await Promise.all([store.migrate(), store.migrate(), store.migrate()]);
    expect(await store.ping()).toBe("ok");
  });

  test("upsert writes rows; the version guard keeps the newest, whatever order batches come in", async () => {
    expect(await store.upsert([{ key: "g:1", value: "new", version: 200 }, { key: "g:2", value: "b", version: 5 }])).toBe(2);
    expect(await store.upsert([{ key: "g:1", value: "old", version: 100 }])).toBe(0);
    expect(await store.upsert([{ key: "g:1", value: "same", version: 200 }])).toBe(0); // a replay
    expect(await store.get("g:1")).toEqual({ value: "new", version: 200 });
    expect(await store.upsert([{ key: "g:1", value: "newer", version: 201 }])).toBe(1);
    expect(await store.upsert([{ key: "g:2", value: "x", version: 4 }])).toBe(0);
    expect(await store.get("g:1")).toEqual({ value: "newer", version: 201 });
    expect(await store.get("g:2")).toEqual({ value: "b", version: 5 });
  });

  test("a tombstone hides the key from reads, guards it against older writes, and is purged after its retention", async () => {
    await store.upsert([{ key: "t:1", value: "v", version: 10 }]);
    await store.upsert([{ key: "t:1", value: null, version: 11 }]);
    expect(await store.get("t:1")).toBeUndefined();
    expect((await store.getMany(["t:1"])).size).toBe(0);
    expect((await store.versions(["t:1"])).get("t:1")).toBe(11);
    await store.upsert([{ key: "t:1", value: "replayed", version: 10 }]);
    expect(await store.get("t:1")).toBeUndefined();
    expect(await store.purgeTombstones(60_000, 100)).toBe(0); // too recent
    await Bun.sleep(20);
    expect(await store.purgeTombstones(1, 100)).toBe(1);
    expect((await store.versions(["t:1"])).size).toBe(0);
    await store.upsert([{ key: "t:1", value: "back", version: 12 }]);
    expect(await store.get("t:1")).toEqual({ value: "back", version: 12 });
  });

  test("keys compare byte for byte and keys and values round-trip exactly", async () => {
    const keys = ["a", "A", "ß", "ss", "a ", " a", "e\u0301", "\u00e9", "😀", "𝄞 music", "\u{10FFFF}", "x".repeat(MAX_KEY_LIMIT), "😀".repeat(MAX_KEY_LIMIT / 4)];
    const rows = keys.map((key, i) => ({ key, value: `${key}|${i}|\u{1F600}\u{E000}\t\n"'\\`, version: 1000 + i }));
    await store.upsert(rows);
    for (const r of rows) expect(await store.get(r.key)).toEqual({ value: r.value, version: r.version });
    const many = await store.getMany(keys);
    expect(many.size).toBe(keys.length);
    for (const r of rows) expect(many.get(r.key)).toEqual({ value: r.value, version: r.version });
  });

  test("a value of 1 MiB of multi-byte text, and an empty one, round-trip", async () => {
    const big = "ü😀".repeat(1024 * 1024 / 6);
    await store.upsert([{ key: "big", value: big, version: 1 }, { key: "empty", value: "", version: 1 }]);
    expect((await store.get("big"))?.value).toBe(big);
    expect(await store.get("empty")).toEqual({ value: "", version: 1 });
  });

  test("a batch of 10,000 rows in one call", async () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => ({ key: `n:${String(i).padStart(5, "0")}`, value: `v${i}`, version: i + 1 }));
    expect(await store.upsert(rows)).toBe(10_000);
    expect(await store.get("n:09999")).toEqual({ value: "v9999", version: 10_000 });
  });

  test("the first KEY_PREFIX owns the database", async () => {
    expect(await store.claimOwner("wb-a:")).toBe("wb-a:");
    expect(await store.claimOwner("wb-b:")).toBe("wb-a:");
  });

  test("errors are classified by code: a connection failure is transient", async () => {
    const dead = openStore({
      url: kind === "postgres" ? "postgres://postgres@127.0.0.1:1/x" : kind === "mysql" ? "mysql://root@127.0.0.1:1/x" : "sqlite:///nonexistent-dir/x/y.db",
      max: 1,
      statementTimeoutMs: 1000,
      lockTimeoutMs: 500,
    });
    let err: unknown;
    try {
      await dead.ping();
    } catch (e) {
      err = e;
    }
    expect(err).toBeDefined();
    expect(dead.classify(err)).toBe("transient");
    await dead.close().catch(() => {});
  });
});
