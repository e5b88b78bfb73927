// Large rows on each store, through persist() (what the flusher calls): a row of a value
// MAX_VALUE_BYTES allows (up to 256 MiB) is written, whatever its characters (quotes and
// backslashes the Postgres driver escapes, control characters JSON escapes sixfold for
// SQLite); a row the server refuses for its size (MySQL's max_allowed_packet, 1153) goes to
// the dead letters with the rows beside it written. Before, each of these was retried forever
// and stopped the thread that held it.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { Database } from "bun:sqlite";
import postgres from "postgres";
import type { EntryRow } from "../src/flusher/coalesce";
import { persist } from "../src/flusher/persist";
import { openStore } from "../src/store/open";
import { sqlitePath } from "../src/store/sqlite/store";
import type { Store } from "../src/store/store";
import { createStoreDatabase, type StoreKind } from "../src/testing/services";

setDefaultTimeout(180_000);

const MiB = 1024 * 1024;
let n = 0;
const row = (key: string, value: string | null): EntryRow => ({ key, value, version: 1000 + ++n, id: `${n}-0` });

function storeOn(kind: StoreKind) {
  const ctx = {} as { store: Store; url: string; drop: () => Promise<void> };
  beforeAll(async () => {
    const db = await createStoreDatabase(kind);
    ctx.url = db.url;
    ctx.drop = db.drop;
    ctx.store = openStore({ url: db.url, max: 2, statementTimeoutMs: 60_000, lockTimeoutMs: 5000 });
    await ctx.store.migrate();
  });
  afterAll(async () => {
    await ctx.store.close();
    await ctx.drop();
  });
  return ctx;
}

describe("postgres", () => {
  const ctx = storeOn("postgres");
  test("values of quotes and backslashes up to 256 MiB, several in one flush of 1 GiB, are written", async () => {
    const rows = [row("q1", '"'.repeat(100 * MiB)), row("q2", '"'.repeat(100 * MiB)), row("bs", "\\".repeat(256 * MiB))];
    const result = await persist(ctx.store, rows, 1024 * MiB);
    expect(result.failed).toEqual([]);
    expect(result.written).toBe(3);
    const sql = postgres(ctx.url, { max: 1, onnotice: () => {} });
    const lengths = await sql.unsafe<{ key: string; n: number }[]>("SELECT key, octet_length(value) AS n FROM writeback_kv ORDER BY key");
    await sql.end();
    expect(lengths.map((r) => [r.key, Number(r.n)])).toEqual([["bs", 256 * MiB], ["q1", 100 * MiB], ["q2", 100 * MiB]]);
  });
});

describe("sqlite", () => {
  const ctx = storeOn("sqlite");
  test("a value of 160 MiB of control characters (about 1 GB as JSON) is written", async () => {
    const rows = [row("a", "1"), row("ctl", "\u0001".repeat(160 * MiB)), row("b", "2")];
    const result = await persist(ctx.store, rows, 1024 * MiB);
    expect(result.failed).toEqual([]);
    expect(result.written).toBe(3);
    const db = new Database(sqlitePath(ctx.url), { readonly: true });
    const lengths = db.query("SELECT key, length(value) AS n FROM writeback_kv ORDER BY key").all() as { key: string; n: number }[];
    db.close();
    expect(lengths.map((r) => [r.key, r.n])).toEqual([["a", 1], ["b", 1], ["ctl", 160 * MiB]]);
  });
});

describe("mysql", () => {
  const ctx = storeOn("mysql");
  test("a row larger than max_allowed_packet (16 MiB on MariaDB) is refused for its size; the rows beside it are written", async () => {
    const big = row("big", "x".repeat(17 * MiB));
    const result = await persist(ctx.store, [row("a", "1"), big, row("b", "2")], 64 * MiB);
    expect(result.failed.map((f) => [f.row.key, ctx.store.errorCode(f.error)])).toEqual([["big", "1153"]]);
    expect(result.written + result.skipped).toBe(2); // written, or found written by an earlier statement of the same call
    expect(await ctx.store.get("a")).toMatchObject({ value: "1" });
    expect(await ctx.store.get("b")).toMatchObject({ value: "2" });
    expect(await ctx.store.get("big")).toBeUndefined();
  });
});
