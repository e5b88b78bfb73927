// persistBatch (src/flusher/pipeline.ts): from a batch of stream entries to what its commit
// must say: which rows are in the database now (committed) and which entries go to the dead
// letters, each with why. Over a fake store and the values a fake cache holds.
import { describe, expect, test } from "bun:test";
import type { RawEntry } from "../../src/cache/entry";
import { encodeEntry } from "../../src/cache/entry";
import { persistBatch, type PipelineDeps } from "../../src/flusher/pipeline";
import { Registry } from "../../src/metrics";
import { FakeStore } from "./fakes/store";

type Cached = Map<string, { value: string | null; version: number }>;

function deps(store: FakeStore, cache: Cached = new Map(), retrying: PipelineDeps["retrying"] = (_s, work) => work()): PipelineDeps {
  return {
    store,
    values: async (keys) => keys.map((k) => cache.get(k)),
    metrics: new Registry(),
    maxStatementBytes: 1 << 20,
    retrying,
  };
}
const set = (id: string, key: string, value: string, version: number): RawEntry => [id, encodeEntry(key, value, version)];

describe("persistBatch", () => {
  test("rows are written at their highest version; the commit names them and every entry they stand for", async () => {
    const store = new FakeStore();
    const seen: string[][] = [];
    const d = { ...deps(store), onCommitted: (rows: { key: string }[]) => seen.push(rows.map((r) => r.key)) };
    const out = await persistBatch([set("1-0@0", "a", "1", 1), set("2-0@0", "a", "2", 2), set("3-0@0", "b", "x", 1)], d);
    expect(out!.committed.map((r) => [r.key, r.version])).toEqual([["a", 2], ["b", 1]]);
    expect(out!.dead).toEqual([]);
    expect(out!.entries).toBe(3);
    expect(store.rows.get("a")).toEqual({ value: "2", version: 2 });
    expect(seen).toEqual([["a", "b"]]); // told before the stream learns of the commit
  });

  test("a row the database rejects becomes a dead letter carrying its value and the database's code; the rest commit", async () => {
    const store = new FakeStore();
    store.rejectKeys.add("bad");
    const out = await persistBatch([set("1-0@0", "ok", "v", 1), set("2-0@0", "bad", "poison", 4)], deps(store));
    expect(out!.committed.map((r) => r.key)).toEqual(["ok"]);
    expect(out!.dead).toEqual([{ id: "2-0@0", fields: encodeEntry("bad", "poison", 4), reason: "rejected by the database", error: "REJECTED injected permanent failure" }]);
  });

  test("an entry that cannot be a row is dead-lettered as malformed, without a statement", async () => {
    const store = new FakeStore();
    const out = await persistBatch([["1-0@0", ["k", "a"]]], deps(store));
    expect(out!.dead.map((d) => d.reason)).toEqual(["malformed entry: needs k, an integer ver, and v, n or del"]);
    expect(store.upserts).toEqual([]);
  });

  test("entries named to give up on (they crashed their owners) are dead-lettered, not written", async () => {
    const store = new FakeStore();
    const out = await persistBatch([set("1-0@0", "crash", "v", 1), set("2-0@0", "fine", "v", 1)], deps(store), new Map([["1-0@0", "crashed"]]));
    expect(out!.dead).toEqual([{ id: "1-0@0", fields: encodeEntry("crash", "v", 1), reason: "too many deliveries", error: "crashed" }]);
    expect([...store.rows.keys()]).toEqual(["fine"]);
  });

  test("a large write's value comes from the cache hash, at the hash's (newer or equal) version", async () => {
    const store = new FakeStore();
    const cache: Cached = new Map([["big", { value: "B".repeat(600), version: 7 }]]);
    const out = await persistBatch([["1-0@0", ["k", "big", "ver", "5", "n", "600"]]], deps(store, cache));
    expect(store.rows.get("big")).toEqual({ value: "B".repeat(600), version: 7 });
    expect(out!.committed.map((r) => r.version)).toEqual([7]);
  });

  test("a large write whose value is gone from the cache: committed if the database holds its version, else dead-lettered without a value", async () => {
    const store = new FakeStore();
    store.rows.set("kept", { value: "x", version: 5 });
    const out = await persistBatch([["1-0@0", ["k", "kept", "ver", "5", "n", "600"]], ["2-0@0", ["k", "lost", "ver", "3", "n", "600"]]], deps(store));
    expect(out!.dead.map((d) => [d.id, d.reason])).toEqual([["2-0@0", "value missing from the cache"]]);
    expect(out!.dead[0]!.fields).toEqual(["k", "lost", "ver", "3"]);
  });

  test("a rejected large write's dead letter gets its value from the cache, so it can be re-driven", async () => {
    const store = new FakeStore();
    store.rejectKeys.add("big");
    const cache: Cached = new Map([["big", { value: "V".repeat(600), version: 2 }]]);
    const out = await persistBatch([["1-0@0", ["k", "big", "ver", "2", "n", "600"]]], deps(store, cache));
    expect(out!.dead[0]!.fields).toEqual(encodeEntry("big", "V".repeat(600), 2));
  });

  test.each(["values", "flush", "dead-letter values"])("a drain out of time during step %s: undefined, nothing to commit", async (step) => {
    const store = new FakeStore();
    store.rejectKeys.add("bad"); // so that the dead-letter step runs
    const cache: Cached = new Map([["big", { value: "B".repeat(600), version: 1 }]]);
    const retrying: PipelineDeps["retrying"] = async (s, work) => (s === step ? undefined : work());
    const out = await persistBatch([["1-0@0", ["k", "big", "ver", "1", "n", "600"]], set("2-0@0", "bad", "v", 1)], deps(store, cache, retrying));
    expect(out).toBeUndefined();
  });
});
