// GET /status/<key> while the database is away (issue 22, item 4): exactly when an operator asks
// "is this write persisted yet?". Redis answers alone for a cached key; the database is cut by a
// proxy of the test's own, for the routes and the flusher alike.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { loadConfig, type Config } from "../src/config";
import type { Flusher } from "../src/flusher/flusher";
import { openFlusher } from "../src/flusher/open";
import { configKeys } from "../src/keys";
import { Registry } from "../src/metrics";
import { start, type Service } from "../src/start";
import { waitFor } from "../src/testing/process";
import { SHARED_REDIS_URL, createDatabase, dropPrefix, testPrefix } from "../src/testing/services";
import { TcpProxy } from "./helpers/proxy";

setDefaultTimeout(60_000);

let config: Config;
let service: Service;
let proxy: TcpProxy;
let flusher: Flusher;
let flushing: Promise<boolean>;
let drop: () => Promise<void>;

beforeAll(async () => {
  const db = await createDatabase();
  drop = db.drop;
  const direct = new URL(db.url);
  proxy = new TcpProxy(direct.hostname, Number(direct.port || 5432)).start();
  const viaProxy = new URL(db.url);
  viaProxy.hostname = "127.0.0.1";
  viaProxy.port = String(proxy.port);
  config = loadConfig({
    REDIS_URL: SHARED_REDIS_URL,
    DATABASE_URL: viaProxy.toString(),
    KEY_PREFIX: testPrefix(),
    FLUSH_BLOCK_MS: "50",
    FLUSH_RETRY_MAX_MS: "200",
    DB_STATEMENT_TIMEOUT_MS: "1000",
    LOG_LEVEL: "error",
  });
  service = await start(config, { listen: false, threads: false, metrics: new Registry() });
  flusher = openFlusher(config, configKeys(config), 0, new Registry());
  flushing = flusher.run();
});

afterAll(async () => {
  proxy.restore();
  flusher.drain(2000);
  await flushing;
  await flusher.close();
  await service.stop();
  proxy.stop();
  await dropPrefix(config.KEY_PREFIX);
  await drop();
});

const call = (path: string, body?: unknown) =>
  service.app.handle(
    new Request(`http://localhost${path}`, body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  );

test("with the database away, /status answers from Redis: a clean key as persisted, a dirty one as not, a key Redis lacks 503", async () => {
  const clean = (await (await call("/set?wait=persisted", { key: "s:clean", value: "1" })).json()) as { version: number; persisted: boolean };
  expect(clean.persisted).toBe(true);
  // Acknowledged: its cache entry is clean once it has its TTL.
  await waitFor("the entry to be clean", async () => ((await (await call("/status/s:clean")).json()) as { dirty: boolean }).dirty === false);

  proxy.cut();
  const dirty = (await (await call("/set", { key: "s:dirty", value: "2" })).json()) as { version: number };

  const a = await call("/status/s:clean");
  expect(a.status).toBe(200);
  expect(await a.json()).toEqual({ key: "s:clean", version: clean.version, persistedVersion: clean.version, dirty: false, database: "unavailable" });
  const b = await call("/status/s:dirty");
  expect(b.status).toBe(200);
  expect(await b.json()).toEqual({ key: "s:dirty", version: dirty.version, persistedVersion: null, dirty: true, database: "unavailable" });
  const c = await call("/status/s:never");
  expect(c.status).toBe(503);
  expect(((await c.json()) as { error: { code: string } }).error.code).toBe("DB_UNAVAILABLE");

  proxy.restore();
  await waitFor(
    "the dirty write to be persisted",
    async () => {
      const r = (await (await call("/status/s:dirty")).json()) as Record<string, unknown>;
      return r.dirty === false && r.persistedVersion === dirty.version && !("database" in r);
    },
    20_000,
  );
});
