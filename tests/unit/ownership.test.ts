// Which partitions a flusher thread owns (src/flusher/ownership.ts): round-robin over the live
// members sorted by name, so every member computes the same assignment; partitions assigned
// to another member are given back, assigned ones claimed as they come free. (Who may take a
// partition another holds is claim.lua's rule: the integration tests cover it.)
import { afterEach, describe, expect, test } from "bun:test";
import { Ownership } from "../../src/flusher/ownership";
import { Registry } from "../../src/metrics";
import { FakeLog } from "./fakes/log";

const made: Ownership[] = [];
afterEach(async () => {
  for (const o of made.splice(0)) o.abandon();
});

function member(log: FakeLog, consumer: string, all = false): Ownership {
  const o = new Ownership(log, { consumer, name: consumer.split("-")[0]!, process: "p" }, { ttlMs: 60_000, renewMs: 60_000, maxTries: 3, all }, new Registry());
  made.push(o);
  return o;
}
const owned = (o: Ownership) => [...o.owned.keys()].sort((a, b) => a - b);

describe("ownership", () => {
  test("alone, a member owns every partition", async () => {
    const log = new FakeLog(5);
    const a = member(log, "a-0");
    await a.start();
    await a.settle();
    expect(owned(a)).toEqual([0, 1, 2, 3, 4]);
  });

  test("partitions go round-robin over the members sorted by name, whatever order they joined in", async () => {
    const log = new FakeLog(7);
    log.join("c-0");
    log.join("a-0");
    const b = member(log, "b-0");
    await b.start();
    expect([...b.desired()].sort()).toEqual([1, 4]);
    for (const [name, want] of [["a-0", [0, 3, 6]], ["c-0", [2, 5]]] as const) {
      const o = member(log, name);
      await o.start();
      expect([...o.desired()].sort()).toEqual([...want]);
    }
  });

  test("a member that joins takes its share: the others give those partitions back at their next settle", async () => {
    const log = new FakeLog(4);
    const a = member(log, "a-0");
    await a.start();
    await a.settle();
    expect(owned(a)).toEqual([0, 1, 2, 3]);
    const b = member(log, "b-0");
    await b.start();
    await b.settle(); // a still holds 1 and 3: b gets nothing yet
    expect(owned(b)).toEqual([]);
    await Bun.sleep(1001); // settle looks at the members again at most once a second
    await a.settle();
    expect(owned(a)).toEqual([0, 2]);
    expect(log.leases.has(1) || log.leases.has(3)).toBe(false); // released, not left to lapse
    await Bun.sleep(260); // a claim refused is tried again shortly after
    await b.settle();
    expect(owned(b)).toEqual([1, 3]);
  });

  test("a member that leaves (stop) gives everything back and its partitions go to the others", async () => {
    const log = new FakeLog(4);
    const a = member(log, "a-0");
    const b = member(log, "b-0");
    await b.start();
    await a.start();
    await a.settle();
    await b.settle();
    expect([owned(a), owned(b)]).toEqual([[0, 2], [1, 3]]);
    await b.stop();
    expect(log.leases.has(1) || log.leases.has(3)).toBe(false);
    await Bun.sleep(1001);
    await a.settle();
    expect(owned(a)).toEqual([0, 1, 2, 3]);
  });

  test("a lost lease (renewal or commit says so) drops the partition; rewind() reads again from the cursor", async () => {
    const log = new FakeLog(2);
    const a = member(log, "a-0");
    await a.start();
    await a.settle();
    a.advance([["5-0@0", ["k", "x", "v", "1", "ver", "1"]]]);
    expect(a.positions().get(0)).toBe("5-0");
    a.rewind();
    expect(a.positions().get(0)).toBe("0-0");
    a.committed(0, "3-0");
    a.committed(0, "2-0"); // a cursor never moves back
    a.rewind();
    expect(a.positions().get(0)).toBe("3-0");
    a.lose([0]);
    expect(owned(a)).toEqual([1]);
  });

  test("the upgrade's flusher (all) owns every partition, members or not, and never joins them", async () => {
    const log = new FakeLog(3);
    log.join("other-0");
    const u = member(log, "u-0", true);
    await u.start();
    await u.settle();
    expect(owned(u)).toEqual([0, 1, 2]);
    await u.stop();
    expect(await log.members("x-0", 1000)).toEqual(["other-0", "x-0"]);
  });

  test("with the members key away (its Redis node down), leases are still renewed and the partitions owned stay owned", async () => {
    const log = new FakeLog(2);
    const o = new Ownership(log, { consumer: "a-0", name: "a", process: "p" }, { ttlMs: 200, renewMs: 30, maxTries: 3 }, new Registry());
    made.push(o);
    await o.start();
    await o.settle();
    expect(owned(o)).toEqual([0, 1]);
    log.before = (m) => {
      if (m === "members") throw new Error("the node holding the members key is down");
    };
    await Bun.sleep(1100); // five lease lives; settle looks at the members again after a second
    await o.settle();
    expect(owned(o)).toEqual([0, 1]);
    for (const p of [0, 1]) expect(log.leases.get(p)!.expiresAt).toBeGreaterThan(Date.now());
  });

  test("a thread that starts again ends the leases its earlier life held beyond its share: their owner claims them at once, not after they lapse", async () => {
    const log = new FakeLog(4);
    const first = member(log, "a-0");
    await first.start();
    await first.settle(); // alone so far: it claims all four
    expect(owned(first)).toEqual([0, 1, 2, 3]);
    first.abandon(); // the thread dies holding them (leases of 60 s)
    log.join("a-1");
    const again = member(log, "a-0"); // its next life, with a-1 live beside it
    await again.start();
    const other = member(log, "a-1");
    await other.start();
    await other.settle();
    expect(owned(other)).toEqual([1, 3]);
    await again.settle();
    expect(owned(again)).toEqual([0, 2]);
  });
});
