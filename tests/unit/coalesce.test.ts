// Coalescing: the highest version of each key wins (a delete is a row with no value), keys
// come out sorted, and an entry that cannot be a row is poison, named with its reason.
import { describe, expect, test } from "bun:test";
import { encodeEntry, type RawEntry } from "../../src/cache/entry";
import { coalesce } from "../../src/flusher/coalesce";

const set = (id: string, key: string, value: string, version: number): RawEntry => [id, encodeEntry(key, value, version)];
const del = (id: string, key: string, version: number): RawEntry => [id, encodeEntry(key, null, version)];

describe("coalesce", () => {
  test("the highest version of a key wins, whatever the order the entries come in", () => {
    const { rows, ids } = coalesce([set("1-0@0", "a", "old", 5), set("2-0@0", "a", "new", 9), set("3-0@0", "a", "stale", 7)]);
    expect(rows).toEqual([{ key: "a", value: "new", version: 9, id: "2-0@0" }]);
    expect(ids).toEqual(["1-0@0", "2-0@0", "3-0@0"]); // every entry the row stands for
  });

  test("sets and deletes coalesce alike: a later delete is a tombstone (value null), a later set revives", () => {
    expect(coalesce([set("1-0@0", "a", "v", 1), del("2-0@0", "a", 2)]).rows).toEqual([{ key: "a", value: null, version: 2, id: "2-0@0" }]);
    expect(coalesce([del("1-0@0", "a", 1), set("2-0@0", "a", "back", 2)]).rows).toEqual([{ key: "a", value: "back", version: 2, id: "2-0@0" }]);
  });

  test("rows are sorted by key (code-unit order), so concurrent flushers lock rows in one order", () => {
    const { rows } = coalesce([set("1-0@0", "b", "x", 1), set("2-0@0", "a", "x", 1), set("3-0@0", "B", "x", 1), set("4-0@0", "é", "x", 1)]);
    expect(rows.map((r) => r.key)).toEqual(["B", "a", "b", "é"]);
  });

  test("a large write's entry (its value in the cache hash) becomes a row marked inCache, with the size it declared", () => {
    const { rows } = coalesce([["1-0@0", ["k", "big", "ver", "3", "n", "4096"]]]);
    expect(rows).toEqual([{ key: "big", value: "", version: 3, id: "1-0@0", inCache: true, size: 4096 }]);
  });

  test.each([
    ["no fields (deleted or trimmed)", null, "entry has no fields"],
    ["no key", ["v", "x", "ver", "1"], "malformed entry"],
    ["no version", ["k", "a", "v", "x"], "malformed entry"],
    ["a version that is not an integer", ["k", "a", "v", "x", "ver", "1.5"], "malformed entry"],
    ["a version past 2^53", ["k", "a", "v", "x", "ver", "99999999999999999"], "malformed entry"],
    ["neither a value, a size nor a delete", ["k", "a", "ver", "1"], "malformed entry"],
  ])("an entry with %s is poison, not a row", (_what, fields, reason) => {
    const { rows, ids, poison } = coalesce([["9-0@0", fields as string[] | null], set("10-0@0", "ok", "v", 1)]);
    expect(rows.map((r) => r.key)).toEqual(["ok"]);
    expect(ids).toEqual(["10-0@0"]);
    expect(poison).toHaveLength(1);
    expect(poison[0]!.id).toBe("9-0@0");
    expect(poison[0]!.reason).toContain(reason);
  });
});
