// A value read from the database enters the cache, or becomes the base of an increment, only if
// no write of that key was acknowledged after the read began (issue 22, item 2). The window:
// a newer write's entry, clean, expires (CACHE_TTL_MS) or is evicted while the database read
// is in flight. Here the app's database reads are held at a gate after their query ran, so
// the stale answer is in hand while a newer write is acknowledged, persisted and expires.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { connect, waitReady, type WritebackRedis } from "../src/cache/redis";
import { loadConfig, type Config } from "../src/config";
import type { Flusher } from "../src/flusher/flusher";
import { openFlusher } from "../src/flusher/open";
import { configKeys, type Keys } from "../src/keys";
import { Registry } from "../src/metrics";
import { start, type Service } from "../src/start";
import { PostgresStore } from "../src/store/postgres/store";
import type { Row } from "../src/store/store";
import { waitFor } from "../src/testing/process";
import { SHARED_REDIS_URL, createDatabase, dropPrefix, testPrefix } from "../src/testing/services";

setDefaultTimeout(60_000);

/** The app's store, whose reads can be held after their query ran (a slow database read). */
class GatedStore extends PostgresStore {
  private gate?: { open: Promise<void>; release: () => void };
  /** reads that reached the closed gate */
  held = 0;
  close_(): void {
    let release = () => {};
    const open = new Promise<void>((r) => (release = r));
    this.gate = { open, release };
    this.held = 0;
  }
  open(): void {
    this.gate?.release();
    this.gate = undefined;
  }
  private async hold<T>(read: Promise<T>): Promise<T> {
    const value = await read;
    const gate = this.gate;
    if (gate) {
      this.held++;
      await gate.open;
    }
    return value;
  }
  override get(key: string): Promise<Row | undefined> {
    return this.hold(super.get(key));
  }
  override getMany(keys: string[]): Promise<Map<string, Row>> {
    return this.hold(super.getMany(keys));
  }
}

let config: Config;
let k: Keys;
let redis: WritebackRedis;
let store: GatedStore;
let service: Service;
let flusher: Flusher;
let flushing: Promise<boolean>;
let drop: () => Promise<void>;

beforeAll(async () => {
  const db = await createDatabase();
  drop = db.drop;
  config = loadConfig({
    REDIS_URL: SHARED_REDIS_URL,
    DATABASE_URL: db.url,
    KEY_PREFIX: testPrefix(),
    CACHE_TTL_MS: "300",
    FLUSH_BLOCK_MS: "50",
    FLUSH_LINGER_MS: "10",
    LOG_LEVEL: "error",
  });
  k = configKeys(config);
  redis = connect(config.REDIS_URL, "api", 2000);
  await waitReady(redis, 5000);
  store = new GatedStore({ url: db.url, max: 4, statementTimeoutMs: 5000, lockTimeoutMs: 2000 });
  await store.migrate();
  service = await start(config, { listen: false, threads: false, store, metrics: new Registry() });
  flusher = openFlusher(config, k, 0, new Registry());
  flushing = flusher.run();
});

afterAll(async () => {
  store.open();
  flusher.drain(2000);
  await flushing;
  await flusher.close();
  await service.stop();
  redis.disconnect();
  await dropPrefix(config.KEY_PREFIX);
  await drop();
});

const call = (path: string, body?: unknown) =>
  service.app.handle(
    new Request(`http://localhost${path}`, body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  );
const json = async <T>(r: Response | Promise<Response>) => (await (await r).json()) as T;

/** Writes and waits until the write is persisted and its clean cache entry expired. */
async function persistedAndExpired(path: "/set" | "/del", body: { key: string; value?: string }): Promise<number> {
  const r = await json<{ version: number; persisted: boolean }>(call(`${path}?wait=persisted&timeout_ms=10000`, body));
  expect(r.persisted).toBe(true);
  await waitFor("the clean entry to expire", async () => (await redis.exists(k.cache(body.key))) === 0, 10_000);
  return r.version;
}

test("an increment that read the database before a delete was persisted and expired counts on from the delete, not the older value", async () => {
  await persistedAndExpired("/set", { key: "f:incr", value: "100" });
  store.close_();
  const incr = call("/incr", { key: "f:incr", by: 1 });
  await waitFor("the increment's database read", async () => store.held > 0);
  const deleted = await persistedAndExpired("/del", { key: "f:incr" });
  store.open();
  const r = await json<{ value: string; version: number }>(incr);
  expect(r.value).toBe("1"); // 0 after the delete, plus 1; never 101
  expect(r.version).toBeGreaterThan(deleted);
});

test("a read that read the database before a newer write was persisted and expired does not put the older value back into the cache", async () => {
  await persistedAndExpired("/set", { key: "f:get", value: "old" });
  store.close_();
  const read = call("/get/f:get");
  await waitFor("the read's database read", async () => store.held > 0);
  const newer = await persistedAndExpired("/set", { key: "f:get", value: "new" });
  store.open();
  // It began before the newer write was acknowledged: the older value is a fair answer...
  expect(await json(read)).toMatchObject({ value: "old", source: "db" });
  // ...but a read that begins after must see the newer one, not a cache filled with the older.
  expect(await json(call("/get/f:get"))).toMatchObject({ value: "new", version: newer });
});

test("the same for POST /mget", async () => {
  await persistedAndExpired("/set", { key: "f:mget", value: "old" });
  store.close_();
  const read = call("/mget", { keys: ["f:mget"] });
  await waitFor("the read's database read", async () => store.held > 0);
  const newer = await persistedAndExpired("/set", { key: "f:mget", value: "new" });
  store.open();
  await read;
  expect(await json(call("/mget", { keys: ["f:mget"] }))).toEqual({ items: [{ key: "f:mget", value: "new", version: newer, source: "db" }] });
});

test("a fill whose fence held fills: a miss with no flush in between is cached", async () => {
  await persistedAndExpired("/set", { key: "f:fill", value: "v" });
  expect(await json(call("/get/f:fill"))).toMatchObject({ source: "db" });
  expect(await json(call("/get/f:fill"))).toMatchObject({ source: "cache", value: "v" });
});

test("a fence Redis lost is made anew, unlike the one read before the loss: a fill that straddles the loss is refused", async () => {
  await persistedAndExpired("/set", { key: "f:lost", value: "v" });
  const p = k.partition("f:lost");
  const before = await redis.wbFence(k.fence(p));
  await redis.del(k.fence(p)); // what a Redis restart without persistence does to it
  const after = await redis.wbFence(k.fence(p));
  expect(after).not.toBe(before);
  expect(await redis.wbFill(k.cache("f:lost"), k.fence(p), "v", "1", 60_000, before)).toBe(0);
  expect(await redis.wbFill(k.cache("f:lost"), k.fence(p), "v", "1", 60_000, after)).toBe(1);
});
