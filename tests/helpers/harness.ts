// The service in-process: the real Elysia app over real Redis and Postgres, plus (optionally)
// Flushers running in this thread, so tests can drive requests with app.handle().
import postgres from "postgres";
import { backlog } from "../../src/cache/read";
import { connect, waitReady, type WritebackRedis } from "../../src/cache/redis";
import { loadConfig, type Config } from "../../src/config";
import type { Flusher } from "../../src/flusher/flusher";
import { openFlusher } from "../../src/flusher/open";
import { configKeys, type Keys } from "../../src/keys";
import { Registry } from "../../src/metrics";
import { start } from "../../src/start";
import { PostgresStore } from "../../src/store/postgres/store";
import type { Store } from "../../src/store/store";
import { SHARED_REDIS_URL, dropPrefix, testPrefix } from "../../src/testing/services";

export interface Harness {
  config: Config;
  /** a connection of the test's own, to look at and tamper with Redis */
  redis: WritebackRedis;
  /** the store the app reads through */
  store: PostgresStore;
  /** a connection of the test's own, for SQL the store does not offer */
  sql: postgres.Sql;
  keys: Keys;
  metrics: Registry;
  state: { shuttingDown: boolean };
  app: Awaited<ReturnType<typeof start>>["app"];
  request(path: string, init?: RequestInit): Promise<Response>;
  post(key: string, value: string): Promise<Response>;
  startFlusher(index?: number): Flusher;
  /** drains every started flusher within `graceMs` and waits until they stopped */
  drainFlushers(graceMs: number): Promise<void>;
  /** entries in every partition's stream */
  backlog(): Promise<number>;
  close(): Promise<void>;
}

export async function harness(dbUrl: string, env: Record<string, string> = {}): Promise<Harness> {
  const config = loadConfig({
    REDIS_URL: SHARED_REDIS_URL,
    DATABASE_URL: dbUrl,
    KEY_PREFIX: testPrefix(),
    FLUSH_BLOCK_MS: "50",
    LOG_LEVEL: "error",
    // One stream unless a test says otherwise: most tests look at the stream itself. The API
    // suite (tests/suites/api.ts) runs with many partitions, on one Redis and on a Cluster.
    STREAM_PARTITIONS: "1",
    ...env,
  });
  const k = configKeys(config);
  const redis = connect({ url: config.REDIS_URL, cluster: config.REDIS_CLUSTER }, "api", config.REDIS_COMMAND_TIMEOUT_MS);
  await waitReady(redis, 5000);
  const store = new PostgresStore({ url: dbUrl, max: 2, statementTimeoutMs: 5000, lockTimeoutMs: 2000 });
  await store.migrate();
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  const metrics = new Registry();
  // The service as main.ts starts it, without listening and without threads: the tests
  // drive it with app.handle() and run flushers in this thread.
  const service = await start(config, { listen: false, threads: false, metrics });
  const { app, state } = service;
  const flushers: { f: Flusher; done: Promise<boolean> }[] = [];
  const request = (path: string, init?: RequestInit) => app.handle(new Request(`http://localhost${path}`, init));
  return {
    config,
    redis,
    store,
    sql,
    keys: k,
    metrics,
    state,
    app,
    request,
    post: (key, value) =>
      request("/set", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ key, value }),
      }),
    startFlusher(index = 0) {
      const f = openFlusher(config, k, index, metrics);
      flushers.push({ f, done: f.run() });
      return f;
    },
    backlog: () => backlog(redis, k),
    async drainFlushers(graceMs) {
      for (const { f } of flushers) f.drain(graceMs);
      await Promise.all(flushers.map((x) => x.done));
    },
    async close() {
      for (const { f, done } of flushers) {
        f.drain(2000);
        await done;
        await f.close();
      }
      await service.stop();
      redis.disconnect();
      await store.close();
      await sql.end();
      if (config.REDIS_URL === SHARED_REDIS_URL) await dropPrefix(config.KEY_PREFIX);
    },
  };
}

/** Waits until the database holds `version` (or newer) for `key`. */
export async function waitForDb(store: Store, key: string, version: number, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const row = await store.get(key);
    if (row && row.version >= version) return;
    if (Date.now() > deadline) throw new Error(`key ${key} did not reach version ${version} in the database`);
    await Bun.sleep(20);
  }
}
