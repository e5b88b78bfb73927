// The compiled single executable, end to end over a real socket, run from a directory that
// has neither the sources nor node_modules: every .sql/.lua file and the flusher thread are
// embedded in it.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { binaryCopy, type BinaryCopy } from "../src/testing/binary";
import { startService, set, waitFor, type Running } from "../src/testing/process";
import { createDatabase, createStoreDatabase, dropPrefix, PrivateCluster, SHARED_REDIS_URL, testPrefix } from "../src/testing/services";

setDefaultTimeout(60_000); // these tests start processes and wait out faults

let copy: BinaryCopy; // dist/writeback (the shipped build), alone in a directory of its own
let binary: string;
let workdir: string;
let dbUrl: string;
let drop: (() => Promise<void>) | undefined;
let svc: Running;
const prefix = testPrefix();

beforeAll(async () => {
  copy = await binaryCopy();
  ({ path: binary, dir: workdir } = copy);
  ({ url: dbUrl, drop } = await createDatabase());
  svc = await startService(
    { REDIS_URL: SHARED_REDIS_URL, DATABASE_URL: dbUrl, KEY_PREFIX: prefix, FLUSH_WORKERS: "2" },
    { cmd: [binary], cwd: workdir },
  );
}, 120_000);

afterAll(async () => {
  try {
    svc?.proc.kill("SIGTERM");
    await svc?.proc.exited;
    await dropPrefix(prefix);
    await drop?.();
  } finally {
    copy?.remove();
  }
});

test("--help prints the settings and exits 0", () => {
  const r = Bun.spawnSync([binary, "--help"], { cwd: workdir });
  expect(r.exitCode).toBe(0);
  expect(r.stdout.toString()).toContain("FLUSH_WORKERS");
});

test("write, read from the cache, read from the database", async () => {
  const key = "bin/🎉 key";
  const r = await set(svc.base, key, "from the binary");
  expect(r.status).toBe(200);
  const { version } = (await r.json()) as { version: number };
  const path = `${svc.base}/get/${encodeURIComponent(key)}`;
  expect(await (await fetch(`${path}?source=cache`)).json()).toEqual({
    key,
    value: "from the binary",
    version,
    source: "cache",
  });
  let fromDb: unknown;
  await waitFor("flushed by the embedded flusher thread", async () => {
    const res = await fetch(`${path}?source=db`);
    fromDb = res.status === 200 ? await res.json() : undefined;
    return res.status === 200;
  });
  expect(fromDb).toEqual({ key, value: "from the binary", version, source: "db" });
});

const environOf = (pid: number) => new Map(readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));

test("the running service keeps freed memory for reuse (MIMALLOC_PURGE_DELAY=-1), as the same process", async () => {
  // The service re-executes itself once, keeping its pid: what was started is what answers and what a kill -9 stops.
  expect(environOf(svc.proc.pid).get("MIMALLOC_PURGE_DELAY")).toBe("-1");
  expect((await fetch(`${svc.base}/health`)).status).toBe(200);
});

test("MIMALLOC_PURGE_DELAY set by the user is kept", async () => {
  const other = await startService(
    { REDIS_URL: SHARED_REDIS_URL, DATABASE_URL: dbUrl, KEY_PREFIX: prefix, FLUSH_WORKERS: "1", CONSUMER_NAME: "bin-mimalloc", MIMALLOC_PURGE_DELAY: "10" },
    { cmd: [binary], cwd: workdir },
  );
  try {
    expect(environOf(other.proc.pid).get("MIMALLOC_PURGE_DELAY")).toBe("10");
    expect((await set(other.base, "bin/mimalloc", "x")).status).toBe(200);
  } finally {
    other.proc.kill("SIGTERM");
    await other.proc.exited;
  }
});

test("errors have the documented shape over the wire", async () => {
  const r = await fetch(`${svc.base}/set`, { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
  expect(r.status).toBe(400);
  expect(await r.json()).toEqual({ error: { code: "INVALID_JSON", message: expect.any(String) } });
});

test("health, readiness and metrics answer", async () => {
  expect((await fetch(`${svc.base}/health`)).status).toBe(200);
  const ready = await fetch(`${svc.base}/ready`);
  expect(await ready.json()).toMatchObject({ status: "ok", checks: { redis: "ok", postgres: "ok" } });
  expect(await (await fetch(`${svc.base}/metrics`)).text()).toContain("writeback_writes_total");
});

test.each(["mysql", "sqlite"] as const)("the binary on %s: write, delete, read back from the store", async (kind) => {
  const db = await createStoreDatabase(kind);
  const p = testPrefix();
  const other = await startService({ REDIS_URL: SHARED_REDIS_URL, DATABASE_URL: db.url, KEY_PREFIX: p }, { cmd: [binary], cwd: workdir });
  try {
    const { version } = (await (await set(other.base, "bin:store", "💾 stored")).json()) as { version: number };
    await waitFor(`persisted on ${kind}`, async () => (await fetch(`${other.base}/get/bin:store?source=db`)).status === 200);
    expect(await (await fetch(`${other.base}/get/bin:store?source=db`)).json()).toEqual({ key: "bin:store", value: "💾 stored", version, source: "db" });
    await fetch(`${other.base}/del`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ key: "bin:store" }) });
    await waitFor(`the delete persisted on ${kind}`, async () => (await fetch(`${other.base}/get/bin:store?source=db`)).status === 404);
    expect(((await (await fetch(`${other.base}/ready`)).json()) as { checks: Record<string, string> }).checks[kind]).toBe("ok");
  } finally {
    other.proc.kill("SIGTERM");
    await other.proc.exited;
    await dropPrefix(p);
    await db.drop();
  }
});

test("the binary on a Redis Cluster (3 masters, 3 replicas): keys of every partition written, read and persisted", async () => {
  const cluster = await PrivateCluster.start(3);
  const db = await createDatabase();
  const other = await startService({ REDIS_URL: cluster.url, DATABASE_URL: db.url, KEY_PREFIX: "bincl:" }, { cmd: [binary], cwd: workdir });
  try {
    const keys = Array.from({ length: 64 }, (_, i) => `bin:cl:${i}`);
    for (const key of keys) expect((await set(other.base, key, `v ${key}`)).status).toBe(200);
    expect(await (await fetch(`${other.base}/get/bin:cl:7?source=cache`)).json()).toMatchObject({ value: "v bin:cl:7", source: "cache" });
    await waitFor("every key persisted", async () => {
      for (const key of keys) if ((await fetch(`${other.base}/get/${key}?source=db`)).status !== 200) return false;
      return true;
    });
    expect(await (await fetch(`${other.base}/ready`)).json()).toMatchObject({ status: "ok" });
  } finally {
    other.proc.kill("SIGTERM");
    await other.proc.exited;
    await cluster.stop();
    await db.drop();
  }
}, 120_000);
