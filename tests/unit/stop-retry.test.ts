// How a flusher waits, retries and stops: capped backoff with equal jitter (backoff.ts), the
// drain's two signals and its deadline (stop.ts), and retrying a step until it succeeds, the
// drain's deadline passes, or an error no retry can fix arrives (retry.ts).
import { afterEach, describe, expect, spyOn, test } from "bun:test";
import { FatalError } from "../../src/fatal";
import { backoffMs } from "../../src/flusher/backoff";
import { retrying } from "../../src/flusher/retry";
import { abortable, DrainExpired, pause, Stop } from "../../src/flusher/stop";

afterEach(() => {
  (Math.random as unknown as { mockRestore?: () => void }).mockRestore?.();
});

describe("backoff", () => {
  test("equal jitter: between half the ceiling and the ceiling, the ceiling doubling per attempt from 50 ms", () => {
    const random = spyOn(Math, "random");
    random.mockReturnValue(0);
    expect([1, 2, 3, 4].map((a) => backoffMs(a, 10_000))).toEqual([50, 100, 200, 400]);
    random.mockReturnValue(0.999999);
    expect([1, 2, 3, 4].map((a) => backoffMs(a, 10_000))).toEqual([100, 200, 400, 800]);
    random.mockRestore();
  });

  test("capped at capMs, also at absurd attempt counts (no overflow to Infinity or NaN)", () => {
    for (const attempt of [10, 30, 31, 1000, 1e9]) {
      const ms = backoffMs(attempt, 5000);
      expect(ms).toBeGreaterThanOrEqual(2500);
      expect(ms).toBeLessThanOrEqual(5000);
    }
  });

  test("threads retrying together do not retry in lockstep", () => {
    const waits = new Set(Array.from({ length: 50 }, () => backoffMs(5, 10_000)));
    expect(waits.size).toBeGreaterThan(10);
  });
});

describe("Stop", () => {
  test("a wait ends early when a drain starts; during a drain a wait runs its course until the deadline", async () => {
    const s = new Stop();
    const waiting = s.wait(60_000);
    s.drain(60_000);
    await waiting; // ended by the drain's start
    expect(s.stopping.aborted).toBe(true);
    expect(s.outOfTime).toBe(false);
    const started = performance.now();
    await s.wait(20); // draining: waits (a backoff between retries), but not past the deadline
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
    s.dispose();
  });

  test("at the drain's deadline the expired signal aborts with DrainExpired, ending every wait", async () => {
    const s = new Stop();
    s.drain(10);
    const waited = s.wait(60_000);
    await waited;
    expect(s.outOfTime).toBe(true);
    expect(s.expired.reason).toBeInstanceOf(DrainExpired);
    s.dispose();
  });

  test("a later drain can only bring the deadline closer", async () => {
    const s = new Stop();
    s.drain(10);
    s.drain(60_000); // ignored: later than the first
    expect(s.leftMs).toBeLessThanOrEqual(10);
    await s.wait(60_000);
    expect(s.outOfTime).toBe(true);
    const t = new Stop();
    t.drain(60_000);
    t.drain(5);
    expect(t.leftMs).toBeLessThanOrEqual(5);
    t.dispose();
  });

  test("a drain without a deadline (the upgrade's) stops waits for new writes but never expires", () => {
    const s = new Stop();
    s.drain();
    expect(s.stopping.aborted).toBe(true);
    expect(s.leftMs).toBe(Infinity);
    expect(s.outOfTime).toBe(false);
  });

  test("abortable: the work's outcome, or the signal's reason once it aborts (the work is abandoned, never unhandled)", async () => {
    const c = new AbortController();
    expect(await abortable(Promise.resolve(1), c.signal)).toBe(1);
    const never = new Promise<number>(() => {});
    const p = abortable(never, c.signal);
    c.abort(new DrainExpired());
    await expect(p).rejects.toBeInstanceOf(DrainExpired);
    await expect(abortable(Promise.reject(new Error("late")), c.signal)).rejects.toBeInstanceOf(DrainExpired);
  });

  test("pause: ms <= 0 or an aborted signal resolves at once", async () => {
    const c = new AbortController();
    c.abort();
    const started = performance.now();
    await pause(60_000, c.signal);
    await pause(0);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe("retrying", () => {
  const hooks = (stop: Stop, failures: unknown[] = []) => ({
    stop,
    maxBackoffMs: 1,
    failed: (_step: string, attempt: number, err: unknown) => void failures.push([attempt, (err as Error).message]),
  });

  test("a failing step is retried until it succeeds, each failure reported with its attempt", async () => {
    const failures: unknown[] = [];
    let n = 0;
    const out = await retrying("flush", async () => {
      if (++n < 4) throw new Error(`down ${n}`);
      return "done";
    }, hooks(new Stop(), failures));
    expect(out).toBe("done");
    expect(failures).toEqual([[1, "down 1"], [2, "down 2"], [3, "down 3"]]);
  });

  test("an error no retry can fix (FatalError) is thrown at once", async () => {
    let n = 0;
    const fatal = new FatalError("X", "never");
    await expect(retrying("setup", async () => {
      n++;
      throw fatal;
    }, hooks(new Stop()))).rejects.toBe(fatal);
    expect(n).toBe(1);
  });

  test("the drain's deadline ends it with undefined: a step still running is abandoned, a failing one not retried again", async () => {
    const hung = new Stop();
    const p = retrying("flush", () => new Promise(() => {}), hooks(hung));
    hung.drain(10);
    expect(await p).toBeUndefined();

    const failing = new Stop();
    let n = 0;
    failing.drain(30);
    const out = await retrying("flush", async () => {
      n++;
      throw new Error("down");
    }, { ...hooks(failing), maxBackoffMs: 1000 });
    expect(out).toBeUndefined();
    expect(n).toBeGreaterThanOrEqual(1);
    expect(failing.outOfTime).toBe(true);
  });

  test("while draining with time left, a failing step is still retried (a stop does not give up on a batch)", async () => {
    const s = new Stop();
    s.drain(60_000);
    let n = 0;
    const out = await retrying("commit", async () => {
      if (++n < 3) throw new Error("down");
      return true;
    }, hooks(s));
    expect(out).toBe(true);
    s.dispose();
  });
});
