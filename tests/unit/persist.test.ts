// The split-and-dead-letter decision (src/flusher/persist.ts), over a store whose failures are
// injected by kind: a rejected row ends up standing alone and is returned for dead-lettering
// while the rows beside it are written; a statement past the timeout is split; a transient
// failure is thrown to the caller (which retries the batch); no statement carries more than
// FLUSH_BATCH_BYTES.
import { describe, expect, test } from "bun:test";
import type { EntryRow } from "../../src/flusher/coalesce";
import { byBytes, persist } from "../../src/flusher/persist";
import { FakeStore, FakeStoreError } from "./fakes/store";

const rows = (n: number, prefix = "k"): EntryRow[] =>
  Array.from({ length: n }, (_, i) => ({ key: `${prefix}${String(i).padStart(3, "0")}`, value: `v${i}`, version: i + 1, id: `${i + 1}-0@0` }));

describe("persist", () => {
  test("a batch the store takes is one statement; written and skipped (the version guard) are counted", async () => {
    const store = new FakeStore();
    store.rows.set("k001", { value: "newer", version: 100 });
    const out = await persist(store, rows(4), 1 << 20);
    expect(store.upserts).toHaveLength(1);
    expect(out).toEqual({ written: 3, skipped: 1, failed: [], splits: 0 });
    expect(store.rows.get("k001")).toEqual({ value: "newer", version: 100 });
  });

  test("a row the database rejects stands alone and is returned with its error; every other row is written", async () => {
    const store = new FakeStore();
    store.rejectKeys.add("k005");
    const batch = rows(16);
    const out = await persist(store, batch, 1 << 20);
    expect(out.failed.map((f) => f.row.key)).toEqual(["k005"]);
    expect(out.failed[0]!.error).toBeInstanceOf(FakeStoreError);
    expect(out.written).toBe(15);
    expect([...store.rows.keys()].sort()).toEqual(batch.map((r) => r.key).filter((k) => k !== "k005"));
    // Halves until it stands alone: log2(16) + 1 levels, not one statement per row.
    expect(store.upserts.filter((u) => u.includes("k005")).map((u) => u.length)).toEqual([16, 8, 4, 2, 1]);
    expect(out.splits).toBe(0);
  });

  test("several rejected rows each stand alone", async () => {
    const store = new FakeStore();
    for (const k of ["k000", "k007", "k008"]) store.rejectKeys.add(k);
    const out = await persist(store, rows(9), 1 << 20);
    expect(out.failed.map((f) => f.row.key).sort()).toEqual(["k000", "k007", "k008"]);
    expect(out.written).toBe(6);
  });

  test("a statement past the statement timeout is split (counted) until the halves go through", async () => {
    const store = new FakeStore();
    store.timeoutAbove = 3;
    const out = await persist(store, rows(10), 1 << 20);
    expect(out.failed).toEqual([]);
    expect(out.written).toBe(10);
    expect(out.splits).toBeGreaterThan(0);
    expect(Math.max(...store.upserts.filter((_, i) => i > 0).map((u) => u.length))).toBeLessThanOrEqual(5);
  });

  test("each statement that ends, split or not, is reported alive: a batch split around slow statements is progress the thread's watchdog sees", async () => {
    const store = new FakeStore();
    store.timeoutAbove = 3;
    let beats = 0;
    await persist(store, rows(10), 1 << 20, () => beats++);
    expect(store.upserts.length).toBeGreaterThan(1);
    expect(beats).toBe(store.upserts.length);
  });

  test("one row alone that still times out is the database's trouble, not the row's: thrown, never dead-lettered", async () => {
    const store = new FakeStore();
    store.timeoutAbove = 0;
    const err = await persist(store, rows(4), 1 << 20).catch((e) => e);
    expect(err).toBeInstanceOf(FakeStoreError);
    expect(err.kind).toBe("split");
  });

  test("a transient failure is thrown to the caller as it is: the batch is retried, nothing dead-lettered", async () => {
    const store = new FakeStore();
    store.failNext("transient");
    const err = await persist(store, rows(8), 1 << 20).catch((e) => e);
    expect(err).toBeInstanceOf(FakeStoreError);
    expect(err.kind).toBe("transient");
    expect(store.upserts).toHaveLength(1);
  });

  test("a transient failure while splitting around a rejected row is thrown too (rows written before it are replayed harmlessly)", async () => {
    const store = new FakeStore();
    store.rejectKeys.add("k003");
    let n = 0;
    store.before = () => {
      if (++n === 3) throw new FakeStoreError("transient");
    };
    await expect(persist(store, rows(8), 1 << 20)).rejects.toBeInstanceOf(FakeStoreError);
  });

  test("statements never carry more than maxBytes of keys and values (a row larger than that goes alone)", async () => {
    const store = new FakeStore();
    const batch: EntryRow[] = [
      { key: "a", value: "x".repeat(40), version: 1, id: "1-0@0" },
      { key: "b", value: "x".repeat(40), version: 1, id: "2-0@0" },
      { key: "c", value: "x".repeat(200), version: 1, id: "3-0@0" },
      { key: "d", value: null, version: 1, id: "4-0@0" },
    ];
    await persist(store, batch, 100);
    expect(store.upserts).toEqual([["a", "b"], ["c"], ["d"]]);
    expect(byBytes(batch, 100).map((p) => p.length)).toEqual([2, 1, 1]);
  });
});
