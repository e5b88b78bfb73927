// The largest value of each duration setting that is not a timer works where it is computed
// (issue 23, item 11; the bounds and the timers' rule are in config.ts and config.test.ts):
// every store computes `now - TOMBSTONE_RETENTION_MS` for its purge, and Redis takes
// CACHE_TTL_MS and MAX_LAG_MS through the scripts.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { MAX_TOMBSTONE_RETENTION_MS } from "../src/config";
import { openStore } from "../src/store/open";
import { createDatabase, createStoreDatabase, MYSQL_ADMIN_URL, STORE_KINDS } from "../src/testing/services";
import { waitFor } from "../src/testing/process";
import { harness } from "./helpers/harness";

setDefaultTimeout(60_000);

describe("TOMBSTONE_RETENTION_MS at its largest", () => {
  test.each(STORE_KINDS)("%s purges tombstones without an error, and keeps a recent one", async (kind) => {
    const db = await createStoreDatabase(kind);
    const store = openStore({ url: db.url, max: 1, statementTimeoutMs: 5000, lockTimeoutMs: 2000 });
    try {
      await store.migrate();
      await store.upsert([{ key: "gone", value: null, version: 1 }]);
      expect(await store.purgeTombstones(MAX_TOMBSTONE_RETENTION_MS, 10)).toBe(0);
      expect(await store.versions(["gone"])).toEqual(new Map([["gone", 1]]));
    } finally {
      await store.close();
      await db.drop();
    }
  });

  test("MySQL/MariaDB's cutoff (sql/mysql/purge_tombstones.sql: NOW(6) - INTERVAL ? MICROSECOND) is a date, not NULL (which would purge nothing, silently)", async () => {
    const sql = new Bun.SQL(MYSQL_ADMIN_URL);
    try {
      const [row] = await sql.unsafe("SELECT (NOW(6) - INTERVAL ? MICROSECOND) IS NOT NULL AS ok", [MAX_TOMBSTONE_RETENTION_MS * 1000]);
      expect(Number(row.ok)).toBe(1);
    } finally {
      await sql.close();
    }
  });
});

describe("CACHE_TTL_MS and MAX_LAG_MS at their largest (2^53 - 1)", () => {
  test("a persisted entry gets the TTL (clean.lua), a read-through fill too (fill.lua), and writes pass the lag check (set.lua)", async () => {
    const db = await createDatabase();
    const h = await harness(db.url, { CACHE_TTL_MS: String(Number.MAX_SAFE_INTEGER), MAX_LAG_MS: String(Number.MAX_SAFE_INTEGER) });
    try {
      expect((await h.post("ttl:max", "v")).status).toBe(200);
      h.startFlusher();
      await waitFor("the TTL of a persisted entry", async () => (await h.redis.pttl(h.keys.cache("ttl:max"))) > 0);
      await h.redis.del(h.keys.cache("ttl:max"));
      expect((await h.request("/get/ttl:max")).status).toBe(200); // a miss: read from the database and filled
      expect(await h.redis.pttl(h.keys.cache("ttl:max"))).toBeGreaterThan(2 ** 52);
    } finally {
      await h.close();
      await db.drop();
    }
  });
});
