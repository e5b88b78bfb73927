// The commit invariant, with the real Flusher and persistBatch over a fake log and a fake
// store: an entry leaves its stream only into the database or into the dead letters. Every
// commit is checked as it happens (FakeLog.onCommit): each entry it trims must be in the store
// at its version or newer, or be one of the dead letters it writes. Then the world is made
// hostile, one step at a time: a failure injected at each step, a stop (drain with no time
// left) at each step, a lease lost before the commit; afterwards a second flusher finishes
// the partitions, and every write is in the store at its last version or in the dead letters.
import { afterEach, describe, expect, test } from "bun:test";
import { readEntry } from "../../src/cache/entry";
import type { PartitionCommit } from "../../src/cache/partitions";
import { loadConfig } from "../../src/config";
import { Flusher } from "../../src/flusher/flusher";
import { Registry } from "../../src/metrics";
import { FakeLog, type LogMethod, type StoredEntry } from "./fakes/log";
import { FakeStore, FakeStoreError } from "./fakes/store";

const config = loadConfig({
  FLUSH_BLOCK_MS: "20",
  FLUSH_LINGER_MS: "1",
  FLUSH_RETRY_MAX_MS: "20",
  FLUSH_BATCH: "40", // several batches per test
  FLUSH_CLAIM_IDLE_MS: "3000",
  FLUSH_CLAIM_INTERVAL_MS: "100",
  MAX_LAG_MS: "60000",
  CACHE_TTL_MS: "1000",
});

const running: { f: Flusher; done: Promise<boolean> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    r.f.drain(0);
    await r.done.catch(() => {});
  }
});

function start(log: FakeLog, store: FakeStore, consumer = "c-0"): { f: Flusher; done: Promise<boolean>; metrics: Registry } {
  const metrics = new Registry();
  const f = new Flusher(config, log, store, metrics, { consumer, name: "c", process: "p1" });
  const done = f.run();
  running.push({ f, done });
  return { f, done, metrics };
}

/** Fails the test at the commit that would make an entry leave its stream into nothing. */
function guard(log: FakeLog, store: FakeStore): string[] {
  const violations: string[] = [];
  log.onCommit = (part: PartitionCommit, trimmed: StoredEntry[]) => {
    const dead = new Set(part.dead.map((d) => d.id.split("@")[0]));
    for (const e of trimmed) {
      if (dead.has(e.id)) continue;
      const { key, version } = readEntry(e.fields);
      const held = key === undefined ? undefined : store.rows.get(key);
      if (!held || version === undefined || held.version < version) violations.push(`${e.id} (${key}@${version}) committed but neither persisted nor dead-lettered`);
    }
  };
  return violations;
}

/** Writes `n` keys, some several times and some deleted, some large (value in the cache hash only); returns the last version of each key. */
function fill(log: FakeLog, n = 120): Map<string, { value: string | null; version: number }> {
  const last = new Map<string, { value: string | null; version: number }>();
  let version = 0;
  for (let i = 0; i < n; i++) {
    const key = `k${i % 50}`;
    const value = i % 17 === 0 ? null : i % 11 === 0 ? "L".repeat(600) + i : `v${i}`;
    log.write(key, value, ++version, { inCacheFrom: 512 });
    last.set(key, { value, version });
  }
  return last;
}

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(2);
  }
}

/** Every write is in the store at its last version, or its entry is a dead letter. */
function expectNothingLost(log: FakeLog, store: FakeStore, last: Map<string, { value: string | null; version: number }>): void {
  const deadKeys = new Set(log.dead.flat().map((d) => (d.fields ? readEntry(d.fields).key : undefined)));
  for (const [key, want] of last) {
    if (deadKeys.has(key)) continue;
    expect([key, store.rows.get(key)]).toEqual([key, want]);
  }
  expect(log.backlog()).toBe(0);
}

describe("the commit invariant", () => {
  test("a flusher persists everything, commits it, gives the committed keys their TTL, and stops drained", async () => {
    for (const partitions of [1, 4]) {
      const log = new FakeLog(partitions);
      const store = new FakeStore();
      const violations = guard(log, store);
      const last = fill(log);
      const { f, done, metrics } = start(log, store);
      await until("the backlog to drain", () => log.backlog() === 0);
      f.drain(2000);
      expect(await done).toBe(true);
      expectNothingLost(log, store, last);
      expect(violations).toEqual([]);
      expect(log.dead.flat()).toEqual([]);
      expect(new Set(log.cleaned.map((c) => c.key))).toEqual(new Set(last.keys()));
      expect(log.leases.size).toBe(0); // given back on stop
      expect(await log.members("someone-else", 1000)).toEqual(["someone-else"]); // and left the members
      expect(metrics.values.writeback_flushed_entries_total).toBe(120);
    }
  });

  test("a row the database rejects goes to the dead letters with its value, in the commit that moves past it", async () => {
    const log = new FakeLog(2);
    const store = new FakeStore();
    const violations = guard(log, store);
    const last = fill(log);
    store.rejectKeys.add("k7");
    const { f, done } = start(log, store);
    await until("the backlog to drain", () => log.backlog() === 0);
    f.drain(2000);
    await done;
    const letters = log.dead.flat();
    expect(new Set(letters.map((d) => readEntry(d.fields!).key))).toEqual(new Set(["k7"]));
    expect(letters.every((d) => d.reason === "rejected by the database")).toBe(true);
    expect(letters.every((d) => readEntry(d.fields!).value !== undefined || readEntry(d.fields!).deleted)).toBe(true);
    expect(store.rows.has("k7")).toBe(false);
    expectNothingLost(log, store, last);
    expect(violations).toEqual([]);
  });

  const logSteps: LogMethod[] = ["read", "values", "commit", "clean", "renew", "members"];
  test.each(logSteps)("a failure of the log's %s is retried; nothing is lost and nothing committed early", async (method) => {
    const log = new FakeLog(2);
    const store = new FakeStore();
    const violations = guard(log, store);
    const last = fill(log);
    let seen = 0;
    log.before = (m) => {
      if (m === method && ++seen <= 3 && seen % 2 === 1) throw new Error(`injected ${m} failure`);
    };
    const { f, done } = start(log, store);
    await until("the backlog to drain", () => log.backlog() === 0);
    f.drain(2000);
    await done;
    expectNothingLost(log, store, last);
    expect(violations).toEqual([]);
  });

  test.each(["transient", "split"] as const)("a %s failure of the store is retried or split; nothing is lost", async (kind) => {
    const log = new FakeLog(2);
    const store = new FakeStore();
    const violations = guard(log, store);
    const last = fill(log);
    if (kind === "split") store.timeoutAbove = 5;
    else store.failNext(kind, 3);
    const { f, done } = start(log, store);
    await until("the backlog to drain", () => log.backlog() === 0);
    f.drain(2000);
    await done;
    expectNothingLost(log, store, last);
    expect(log.dead.flat()).toEqual([]);
    expect(violations).toEqual([]);
  });

  const stopAt: (LogMethod | "upsert")[] = ["read", "values", "upsert", "commit", "clean"];
  test.each(stopAt)("a stop with no time left at the %s step commits nothing unpersisted; the next owner finishes", async (step) => {
    for (const nth of [1, 2, 3]) {
      const log = new FakeLog(2);
      const store = new FakeStore();
      const violations = guard(log, store);
      const last = fill(log);
      let seen = 0;
      let first: Flusher | undefined;
      const hit = () => {
        if (++seen === nth) first!.drain(0);
      };
      if (step === "upsert") store.before = hit;
      else log.before = (m) => (m === step ? hit() : undefined);
      const a = start(log, store, "a-0");
      first = a.f;
      await a.done;
      log.before = undefined;
      store.before = undefined;
      // A stop that ran out of time may leave its leases to lapse: the next owner waits for nothing here.
      log.leases.clear();
      const b = start(log, store, "b-0");
      await until("the second flusher to drain the backlog", () => log.backlog() === 0);
      b.f.drain(2000);
      expect(await b.done).toBe(true);
      expectNothingLost(log, store, last);
      expect(violations).toEqual([]);
    }
  });

  test("a lease lost before the commit: the commit changes nothing of that partition, and the flusher reads it again once it owns it again", async () => {
    const log = new FakeLog(1);
    const store = new FakeStore();
    const violations = guard(log, store);
    const last = fill(log);
    let stolen = false;
    log.before = (m) => {
      if (m === "commit" && !stolen) {
        stolen = true;
        log.steal(0);
      }
    };
    const { f, done } = start(log, store);
    await until("the lease to be stolen", () => stolen);
    await until("the flusher to notice", () => log.calls.filter((c) => c === "commit").length >= 1);
    await Bun.sleep(20);
    expect(log.cursors[0]).toBe("0-0"); // the stale token's commit moved nothing
    expect(log.backlog()).toBe(120);
    expect(log.dead.flat()).toEqual([]);
    // Nor does the stale owner make that batch's keys clean: the new owner, which reads it
    // again, decides that after its own commit (it may have dead-lettered a newer write).
    expect(log.cleaned).toEqual([]);
    log.leases.delete(0); // the thief's lease lapses
    await until("the backlog to drain", () => log.backlog() === 0);
    f.drain(2000);
    await done;
    expectNothingLost(log, store, last);
    expect(violations).toEqual([]);
  });

  test("a step still running at the drain's deadline is abandoned: run() returns not drained, and nothing of that batch is committed", async () => {
    const log = new FakeLog(1);
    const store = new FakeStore();
    const violations = guard(log, store);
    fill(log, 10);
    let release!: () => void;
    store.before = () => new Promise<void>((resolve) => (release = resolve)); // a database that never answers
    const { f, done } = start(log, store);
    await until("the write to hang", () => store.upserts.length > 0);
    f.drain(30);
    expect(await done).toBe(false);
    expect(log.cursors[0]).toBe("0-0");
    expect(log.backlog()).toBe(10);
    release();
    expect(violations).toEqual([]);
  });

  test("an error no retry can fix (a FatalError) ends run() with it", async () => {
    const { FatalError } = await import("../../src/fatal");
    const log = new FakeLog(1);
    const store = new FakeStore();
    fill(log, 5);
    store.before = () => {
      throw new FatalError("TEST_FATAL", "never works");
    };
    const { done } = start(log, store);
    await expect(done).rejects.toThrow("never works");
    expect(log.backlog()).toBe(5);
    void FakeStoreError;
  });
});
