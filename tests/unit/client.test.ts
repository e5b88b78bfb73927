// When a network store replaces its database client (src/store/client.ts): after a failure
// that is not the server's answer, once for the calls that failed together, at most once per
// STORE_RESET_MIN_INTERVAL_MS, never after close. No service needed: the clients are numbers.
import { describe, expect, test } from "bun:test";
import { ReplaceableClient } from "../../src/store/client";
import { STORE_RESET_MIN_INTERVAL_MS } from "../../src/tuning";

function clients() {
  let opened = 0;
  const ended: number[] = [];
  const c = new ReplaceableClient<number>({
    open: () => ++opened,
    end: async (n) => void ended.push(n),
    answered: (err) => (err as { sqlState?: string }).sqlState !== undefined, // as a driver's error carries its code
  });
  return { c, ended, opened: () => opened };
}
const fail = (sqlState?: string) => () => Promise.reject(Object.assign(new Error("x"), sqlState ? { sqlState } : {}));
const older = (c: ReplaceableClient<number>) => ((c as unknown as { openedAt: number }).openedAt -= STORE_RESET_MIN_INTERVAL_MS);

describe("a store's client", () => {
  test("the server's answer keeps it; a failure without a code replaces it, and the old one is ended", async () => {
    const { c, ended } = clients();
    older(c);
    await expect(c.run(fail("23505"))).rejects.toThrow();
    expect(c.current).toBe(1);
    await expect(c.run(fail())).rejects.toThrow();
    expect(c.current).toBe(2);
    expect(ended).toEqual([1]);
  });

  test("calls that failed together on one client replace it once", async () => {
    const { c, opened } = clients();
    older(c);
    let reject!: (e: unknown) => void;
    const pending = new Promise<number>((_, r) => (reject = r));
    const calls = [c.run(() => pending), c.run(() => pending)];
    reject(new Error("reset"));
    await Promise.allSettled(calls);
    expect(opened()).toBe(2);
  });

  test("at most once per STORE_RESET_MIN_INTERVAL_MS, and never after close", async () => {
    const { c, opened } = clients();
    c.replace(); // just opened
    expect(opened()).toBe(1);
    older(c);
    c.replace();
    expect(opened()).toBe(2);
    c.replace(); // the new one is young
    expect(opened()).toBe(2);
    older(c);
    await c.close();
    await expect(c.run(fail())).rejects.toThrow();
    expect(opened()).toBe(2);
  });

  test("a call past its deadline fails and replaces the client", async () => {
    const { c } = clients();
    older(c);
    await expect(c.run(() => new Promise(() => {}), 20)).rejects.toThrow();
    expect(c.current).toBe(2);
  });
});
