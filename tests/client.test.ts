// The TypeScript client (writeback/client) against the compiled binary: every call with its
// options, typed errors with the API's code, and the retry rule on 503 (Retry-After honoured,
// bounded; an increment only when the server said nothing was written). And a client generated
// from the served /openapi.json alone (openapi-typescript types + openapi-fetch) reads and
// writes a percent-encoded Unicode key through /get/{key}.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import createFetchClient from "openapi-fetch";
import { createClient, WritebackError, type WritebackClient } from "writeback/client";
import type { paths } from "../src/client/api.gen";
import { clientTypes } from "../src/client/generate";
import { startService, waitFor, type Running } from "../src/testing/process";
import { createDatabase, PrivateRedis } from "../src/testing/services";
import { TcpProxy } from "./helpers/proxy";

setDefaultTimeout(120_000);

const TOKEN = "client-test-token";
let redis: PrivateRedis;
let db: { url: string; drop: () => Promise<void> };
let pg: TcpProxy;
let svc: Running;

/** A fetch that records what it sends, and when. */
function recording() {
  const sent: { url: string; at: number }[] = [];
  const f = (request: Request) => {
    sent.push({ url: request.url, at: Date.now() });
    return fetch(request);
  };
  return { sent, fetch: f };
}

beforeAll(async () => {
  redis = await PrivateRedis.start();
  db = await createDatabase();
  // Postgres through a proxy the test can cut: the backlog then grows until writes answer
  // 503 BACKPRESSURE (one partition, at most 2 writes unpersisted).
  const target = new URL(db.url);
  pg = new TcpProxy(target.hostname, Number(target.port || 5432)).start();
  target.port = String(pg.port);
  svc = await startService({
    REDIS_URL: redis.url,
    DATABASE_URL: target.toString(),
    KEY_PREFIX: "client:",
    API_TOKEN: TOKEN,
    STREAM_PARTITIONS: "1",
    MAX_BACKLOG: "2",
    FLUSH_BLOCK_MS: "100",
    FLUSH_LINGER_MS: "0",
    FLUSH_RETRY_MAX_MS: "200",
  });
  // Reads of the database need its schema, which the flusher threads create at start.
  await waitFor("ready", async () => (await fetch(`${svc.base}/ready`)).status === 200);
});

afterAll(async () => {
  svc?.proc.kill("SIGTERM");
  await svc?.proc.exited;
  pg?.stop();
  await redis?.stop();
  await db?.drop();
});

test("a client generated from /openapi.json reads and writes a percent-encoded Unicode key through /get/{key}", async () => {
  // The committed types are exactly what openapi-typescript makes of the document the binary serves.
  const doc = await (await fetch(`${svc.base}/openapi.json`)).json();
  expect(await clientTypes(doc)).toBe(await Bun.file(`${import.meta.dir}/../src/client/api.gen.ts`).text());

  const { sent, fetch: recorded } = recording();
  const api = createFetchClient<paths>({ baseUrl: svc.base, fetch: recorded, headers: { authorization: `Bearer ${TOKEN}` } });
  const key = "ключ/🎉 a+b%";
  const written = await api.POST("/set", { body: { key, value: "значение ✓" } });
  expect(written.response.status).toBe(200);
  const read = await api.GET("/get/{key}", { params: { path: { key }, query: { source: "cache" } } });
  expect(read.response.status).toBe(200);
  expect(read.data).toEqual({ key, value: "значение ✓", version: written.data!.version, source: "cache" });
  expect(new URL(sent.at(-1)!.url).pathname).toBe(`/get/${encodeURIComponent(key)}`);
  const status = await api.GET("/status/{key}", { params: { path: { key } } });
  expect(status.data).toMatchObject({ key, version: written.data!.version });
});

describe("the client", () => {
  let wb: WritebackClient;
  beforeAll(() => {
    // Many retries: with at most 2 writes unpersisted (MAX_BACKLOG), a write here may meet
    // BACKPRESSURE for a moment, which the client waits out.
    wb = createClient({ baseUrl: svc.base, token: TOKEN, retries: 30 });
  });

  test("set, get, del, incr, mset, mget, mdel and status, with ?wait=persisted", async () => {
    const key = "user:42 🎉";
    const set = await wb.set(key, "Alice", { wait: "persisted", timeoutMs: 10_000 });
    expect(set).toMatchObject({ status: "cached", key, persisted: true });
    expect(await wb.get(key)).toEqual({ key, value: "Alice", version: set.version, source: "cache" });
    expect(await wb.get(key, { source: "db" })).toMatchObject({ value: "Alice", source: "db" });
    expect(await wb.status(key)).toEqual({ key, version: set.version, persistedVersion: set.version, dirty: false });

    expect(await wb.incr("views", 5)).toMatchObject({ key: "views", value: "5" });
    expect((await wb.incr("views")).value).toBe("6");

    // Keys a URL path cannot carry travel as well.
    const items = [{ key: ".", value: "dot" }, { key: "..", value: "dots" }, { key: "a/b?c=d&e", value: "x" }];
    const mset = await wb.mset(items, { wait: "persisted", timeoutMs: 10_000 });
    expect(mset.persisted).toBe(true);
    for (const { key: k, value } of items) expect((await wb.get(k))?.value).toBe(value);
    expect(await wb.mget([".", "absent"])).toEqual([
      { key: ".", value: "dot", version: mset.items[0]!.version, source: "cache" },
      { key: "absent", found: false },
    ]);

    const del = await wb.del(key);
    expect(del).toMatchObject({ status: "deleted", key });
    expect(await wb.get(key)).toBeUndefined();
    expect((await wb.mdel([".", ".."])).items.map((i) => i.key)).toEqual([".", ".."]);
    expect(await wb.get("..")).toBeUndefined();
    expect(await wb.status("never written")).toBeUndefined();
  });

  test("errors are WritebackErrors carrying the API's code and status", async () => {
    const rejectedWith = async (p: Promise<unknown>) => {
      const err = await p.then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(WritebackError);
      const { code, status } = err as WritebackError;
      return { code, status };
    };
    await wb.set("text", "not a number");
    expect(await rejectedWith(wb.incr("text"))).toEqual({ code: "NOT_AN_INTEGER", status: 409 });
    expect(await rejectedWith(wb.set("", "v"))).toEqual({ code: "VALIDATION", status: 422 });
    expect(await rejectedWith(wb.get("k", { source: "disk" as never }))).toEqual({ code: "VALIDATION", status: 422 });
    const anonymous = createClient({ baseUrl: svc.base });
    expect(await rejectedWith(anonymous.get("k"))).toEqual({ code: "UNAUTHORIZED", status: 401 });
    // A path the server does not have.
    const wrongPlace = createClient({ baseUrl: `${svc.base}/nope`, token: TOKEN });
    expect(await rejectedWith(wrongPlace.get("k"))).toEqual({ code: "ROUTE_NOT_FOUND", status: 404 });
  });
});

describe("503: Retry-After honoured, a bounded number of times, for the calls safe to repeat", () => {
  /** Cuts the database, then writes until the backlog is full (503 BACKPRESSURE). */
  async function fillBacklog() {
    pg.cut();
    const raw = createClient({ baseUrl: svc.base, token: TOKEN, retries: 0 });
    await waitFor("backpressure", async () => {
      const r = await raw.set(`fill:${Math.random()}`, "x").then(() => undefined, (e: WritebackError) => e.code);
      return r === "BACKPRESSURE";
    });
  }

  test("a set waits Retry-After between attempts and succeeds once the backlog drains", async () => {
    await fillBacklog();
    const { sent, fetch } = recording();
    const wb = createClient({ baseUrl: svc.base, token: TOKEN, retries: 30, fetch });
    const pending = wb.set("after the wait", "v");
    await waitFor("a refused first attempt", async () => sent.length >= 2);
    pg.restore();
    const reply = await pending;
    expect(reply).toMatchObject({ status: "cached", key: "after the wait" });
    // Retry-After: 1 (second), honoured between every two attempts.
    for (let i = 1; i < sent.length; i++) expect(sent[i]!.at - sent[i - 1]!.at).toBeGreaterThanOrEqual(950);
  });

  test("an increment refused with BACKPRESSURE (nothing written) is retried, at most `retries` times", async () => {
    await fillBacklog();
    try {
      const { sent, fetch } = recording();
      const wb = createClient({ baseUrl: svc.base, token: TOKEN, retries: 2, fetch });
      const err = await wb.incr("counter").then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(WritebackError);
      expect((err as WritebackError).code).toBe("BACKPRESSURE");
      expect((err as WritebackError).retryAfterMs).toBe(1000);
      expect(sent.length).toBe(3);
    } finally {
      pg.restore();
    }
  });

  test("with Redis gone, a read is retried but an increment (it may have landed) is sent once", async () => {
    await redis.kill();
    try {
      const { sent, fetch } = recording();
      const wb = createClient({ baseUrl: svc.base, token: TOKEN, retries: 2, fetch });
      const incr = await wb.incr("counter").then(() => undefined, (e: unknown) => e);
      expect((incr as WritebackError).code).toBe("REDIS_UNAVAILABLE");
      expect(sent.length).toBe(1);
      const read = await wb.get("counter").then(() => undefined, (e: unknown) => e);
      expect((read as WritebackError).code).toBe("REDIS_UNAVAILABLE");
      expect(sent.length).toBe(1 + 3);
      // A Retry-After longer than the client will wait is not waited for.
      const impatient = createClient({ baseUrl: svc.base, token: TOKEN, retries: 5, maxRetryDelayMs: 500, fetch });
      const before = sent.length;
      await impatient.get("counter").catch(() => {});
      expect(sent.length).toBe(before + 1);
    } finally {
      await redis.start();
    }
  });
});
