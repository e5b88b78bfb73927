// The history checker on handcrafted histories: it must catch a stale read, a wrong increment
// and a lost write (so the model check cannot pass vacuously), and must accept what
// concurrency and unknown outcomes allow (so it does not cry wolf).
import { describe, expect, test } from "bun:test";
import { checkHistory, type Rule } from "./check";
import type { Item, Op, Row } from "./history";

const K = "r1:k0";
let id = 0;
function op(kind: Op["kind"], start: number, end: number, o: Partial<Op> = {}, items: Partial<Item>[] = []): Op {
  return { id: ++id, client: 0, kind, keys: [K], start, end, status: 200, items: items.map((it) => ({ key: K, ...it })), ...o };
}
const set = (value: string, version: number, start: number, end: number, o: Partial<Op> = {}) => op("set", start, end, { values: [value], ...o }, [{ version }]);
const del = (version: number, start: number, end: number, o: Partial<Op> = {}) => op("del", start, end, o, [{ version }]);
const incr = (by: number, value: string, version: number, start: number, end: number, o: Partial<Op> = {}) => op("incr", start, end, { by, ...o }, [{ value, version }]);
const get = (value: string | undefined, version: number | undefined, start: number, end: number, source: "cache" | "db" = "cache", from: "cache" | "db" = source) =>
  value === undefined
    ? op("get", start, end, { source, status: 404, code: "NOT_FOUND" })
    : op("get", start, end, { source }, [{ value, version, from, found: true }]);
const lost = (o: Partial<Op> = {}) => ({ status: undefined, code: "ECONNRESET", items: [], ...o });
const rules = (ops: Op[], final?: Map<string, Row | null>) => checkHistory(ops, [K], final).violations.map((v) => v.rule);
const db = (row: Row | null) => new Map([[K, row]]);

describe("the history checker catches", () => {
  test("a stale read: an older version after a newer write was acknowledged", () => {
    expect(rules([set("100", 10, 0, 1), set("200", 20, 2, 3), get("100", 10, 4, 5)])).toEqual<Rule[]>(["stale-read"]);
  });

  test("a deleted key read back: the stale fill of the defect (a value after an acknowledged delete)", () => {
    // set 100, delete acknowledged; a read that began after the delete answers 100 from the cache
    expect(rules([set("100", 10, 0, 1), del(20, 2, 3), get("100", 10, 4, 5)])).toEqual<Rule[]>(["stale-read"]);
  });

  test("a 404 after an acknowledged set, with no delete", () => {
    expect(rules([set("100", 10, 0, 1), get(undefined, undefined, 2, 3)])).toEqual<Rule[]>(["stale-read"]);
  });

  test("a database read older than a write acknowledged as persisted", () => {
    const ops = [set("100", 10, 0, 1), set("200", 20, 2, 3, { waitMs: 1000, persisted: true }), get("100", 10, 4, 5, "db")];
    expect(rules(ops)).toEqual<Rule[]>(["stale-read"]);
  });

  test("a wrong increment: counting on from a version older than an acknowledged delete (the lost delete)", () => {
    // set 100; incr begins; delete acknowledged meanwhile; the incr answers 101 at a newer version
    expect(rules([set("100", 10, 0, 1), incr(1, "101", 30, 2, 9), del(20, 3, 4)])).toEqual<Rule[]>(["incr-chain"]);
  });

  test("a wrong increment after a concurrent set", () => {
    expect(rules([set("100", 10, 0, 1), incr(1, "101", 30, 2, 9), set("200", 20, 3, 4)])).toEqual<Rule[]>(["incr-chain"]);
  });

  test("a lost write: the database ends older than the last acknowledged version", () => {
    const ops = [set("100", 10, 0, 1), set("200", 20, 2, 3)];
    expect(rules(ops, db({ value: "100", version: 10 }))).toEqual<Rule[]>(["lost-write"]);
    expect(rules(ops, db(null))).toEqual<Rule[]>(["lost-write"]);
  });

  test("a lost delete: the database ends on a value where a delete was the last acknowledged write", () => {
    expect(rules([set("100", 10, 0, 1), del(20, 2, 3)], db({ value: "100", version: 10 }))).toEqual<Rule[]>(["lost-write"]);
  });

  test("a version no write had, and a value that does not match its version", () => {
    expect(rules([set("100", 10, 0, 1), get("100", 15, 2, 3)])).toEqual<Rule[]>(["unexplained-version"]);
    expect(rules([set("100", 10, 0, 1), get("999", 10, 2, 3)])).toEqual<Rule[]>(["unexplained-version"]);
  });

  test("versions out of real-time order", () => {
    expect(rules([set("100", 20, 0, 1), set("200", 10, 2, 3)])).toEqual<Rule[]>(["version-order"]);
  });

  test("an answer the API may not give", () => {
    expect(rules([set("100", 10, 0, 1, { status: 500, code: "INTERNAL", items: [] })])).toEqual<Rule[]>(["unexpected-answer"]);
  });
});

describe("the history checker accepts", () => {
  test("a read concurrent with a write seeing either version", () => {
    const ops = [set("100", 10, 0, 1), set("200", 20, 2, 6), get("100", 10, 3, 4), get("200", 20, 4, 5)];
    expect(rules(ops, db({ value: "200", version: 20 }))).toEqual([]);
  });

  test("a database read lagging the cache (nothing acknowledged as persisted)", () => {
    expect(rules([set("100", 10, 0, 1), set("200", 20, 2, 3), get("100", 10, 4, 5, "db")])).toEqual([]);
  });

  test("a read-through answered from the database, and a 404 after a delete", () => {
    const ops = [set("100", 10, 0, 1), get("100", 10, 2, 3, "cache", "db"), del(20, 4, 5), get(undefined, undefined, 6, 7)];
    expect(rules(ops, db({ value: null, version: 20 }))).toEqual([]);
  });

  test("a write whose answer was lost: seen or not, in the chain or not", () => {
    const ops = [set("100", 10, 0, 1), set("300", 0, 2, 3, lost()), get("300", 15, 4, 5), incr(2, "302", 20, 6, 7)];
    expect(rules(ops, db({ value: "302", version: 20 }))).toEqual([]);
    const notSeen = [set("100", 10, 0, 1), set("300", 0, 2, 3, lost()), incr(2, "102", 20, 6, 7)];
    expect(rules(notSeen, db({ value: "102", version: 20 }))).toEqual([]);
    // an unknown incr somewhere before: 100+5 or 100+1+5
    const unknownIncr = [set("100", 10, 0, 1), incr(1, "", 0, 2, 3, lost()), incr(5, "106", 20, 6, 7)];
    expect(rules(unknownIncr, db({ value: "106", version: 20 }))).toEqual([]);
  });

  test("increments counting on from a delete (0) and from nothing (0)", () => {
    const ops = [incr(3, "3", 5, 0, 1), set("100", 10, 2, 3), del(20, 4, 5), incr(-2, "-2", 30, 6, 7)];
    expect(rules(ops, db({ value: "-2", version: 30 }))).toEqual([]);
  });

  test("a status answering the latest and the persisted version", () => {
    const status = op("status", 4, 5, {}, [{ version: 20, persistedVersion: 10, found: true }]);
    expect(rules([set("100", 10, 0, 1, { waitMs: 1000, persisted: true }), set("200", 20, 2, 3), status])).toEqual([]);
  });

  test("a status answered by Redis alone may not know a write is persisted; one that asked the database must", () => {
    const persisted = set("100", 10, 0, 1, { waitMs: 1000, persisted: true });
    const redisOnly = op("status", 2, 3, {}, [{ version: 10, persistedVersion: null, found: true, redisOnly: true }]);
    expect(rules([persisted, redisOnly])).toEqual([]);
    const asked = op("status", 2, 3, {}, [{ version: 10, persistedVersion: null, found: true }]);
    expect(rules([persisted, asked])).toEqual(["stale-read"]);
  });
});
