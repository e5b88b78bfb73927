// Postgres-side and Redis-side faults under load. A checker records every acknowledged write;
// after the fault is gone and the backlog drains, Postgres must hold, for every key, the
// highest acknowledged version.
import { setDefaultTimeout } from "bun:test";
import { describe, expect, test } from "bun:test";
import { processSuite } from "./helpers/suite";
import postgres from "postgres";
import Redis from "ioredis";
import { keys } from "../src/keys";
import { backlog } from "../src/cache/read";
import type { WritebackRedis } from "../src/cache/redis";
import { Checker } from "./helpers/checker";
import { proxied } from "./helpers/proxy";
import { set, startService, waitFor, type Running } from "../src/testing/process";
import { PrivateRedis } from "../src/testing/services";

setDefaultTimeout(60_000); // these tests start processes and wait out faults

const s = processSuite();

async function start(env: Record<string, string>) {
  s.redis ??= await PrivateRedis.start();
  const r = await startService({
    REDIS_URL: s.redis!.url,
    DATABASE_URL: s.dbUrl,
    FLUSH_BLOCK_MS: "100",
    FLUSH_RETRY_MAX_MS: "500",
    ...env,
  });
  s.running.push(r);
  return r;
}

describe("Postgres faults", () => {
  test("Postgres cut for 10 s under load: writes keep answering fast, the backlog drains after", async () => {
    const { proxy, url } = proxied(s.dbUrl, 5432); // the Postgres TEST_PG_URL names
    try {
      const statementTimeoutMs = 2000;
      const svc = await start({ KEY_PREFIX: "cut:", DATABASE_URL: url, DB_STATEMENT_TIMEOUT_MS: String(statementTimeoutMs) });
      const check = new Checker();
      let stop = false;
      const load = check.load(svc.base, 100, () => stop, 4);
      await waitFor("writes flowing", async () => check.acknowledged >= 100);
      proxy.cut();
      await Bun.sleep(10_000);
      stop = true;
      await load;
      proxy.restore();
      if (check.failures > 0) console.error(svc.output()); // what the service logged about them
      expect(check.failureReasons).toEqual([]);
      expect(check.failures).toBe(0);
      expect(check.attempts).toBeGreaterThan(1000);
      // The write path never waits on Postgres: no write took as long as one Postgres statement
      // may (how fast writes are is the bench's to say, not a test's on a shared machine).
      expect(check.slowestMs).toBeLessThan(statementTimeoutMs);
      await waitFor("every acknowledged write persisted", async () => (await check.missing(s.dbUrl)).length === 0, 30_000);
    } finally {
      proxy.stop();
    }
  }, 60_000);

  test("the flusher's backend terminated mid-load: nothing acknowledged is lost", async () => {
    const svc = await start({ KEY_PREFIX: "term:" });
    const check = new Checker();
    let stop = false;
    const load = check.load(svc.base, 100, () => stop);
    const admin = postgres(s.dbUrl, { max: 1, onnotice: () => {} });
    try {
      for (let round = 0; round < 5; round++) {
        await Bun.sleep(200);
        await admin.unsafe(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'writeback' AND datname = current_database()",
        );
      }
    } finally {
      stop = true;
      await load;
      await admin.end();
    }
    try {
      await waitFor("every acknowledged write persisted", async () => (await check.missing(s.dbUrl)).length === 0);
    } catch (e) {
      // What was missing and what the service logged about it: a rare failure must say why.
      console.error("missing:", (await check.missing(s.dbUrl)).slice(0, 10), "\n", svc.output());
      throw e;
    }
  });

  test("backends terminated during their connection's handshake (the driver's array-types query): contained, no thread restarted, nothing lost", async () => {
    // postgres.js runs that query on every new connection and drops its promise
    // (porsager/postgres#1192, #1223): the rejection reached no caller, ended the flusher
    // thread, and its partitions waited out their leases. The proxy answers the first ones as
    // pg_terminate_backend does, at that very moment: one for each client (the main thread's,
    // each flusher thread's), whose first connection runs the query.
    const { proxy, url } = proxied(s.dbUrl, 5432);
    let terminations = 3;
    proxy.intercept = (chunk) => {
      if (terminations === 0 || !new TextDecoder().decode(chunk).includes("typarray")) return undefined;
      terminations--;
      return adminShutdown();
    };
    try {
      const svc = await start({ KEY_PREFIX: "hs:", DATABASE_URL: url });
      const check = new Checker();
      for (let i = 0; i < 50; i++) expect(await check.write(svc.base, `hs:${i}`, `v${i}`)).toBe(200);
      await waitFor("every acknowledged write persisted", async () => (await check.missing(s.dbUrl)).length === 0);
      expect(terminations).toBe(0); // every handshake meant to fail did
      await Bun.sleep(300); // the threads' counters reach /metrics with their next heartbeat
      const metrics = await (await fetch(`${svc.base}/metrics`)).text();
      expect(Number(/^writeback_worker_restarts_total (\d+)$/m.exec(metrics)?.[1])).toBe(0);
    } finally {
      proxy.stop();
    }
  });

  test("a table lock held longer than lock_timeout: writes keep succeeding, rows land after release", async () => {
    const svc = await start({ KEY_PREFIX: "lock:", DB_LOCK_TIMEOUT_MS: "200" });
    const check = new Checker();
    await check.write(svc.base, "lock:first", "x"); // the flusher has created the schema
    await waitFor("schema", async () => (await check.missing(s.dbUrl)).length === 0);
    const admin = postgres(s.dbUrl, { max: 1, onnotice: () => {} });
    let release!: () => void;
    const held = admin.begin(async (tx) => {
      await tx.unsafe("LOCK TABLE writeback_kv IN ACCESS EXCLUSIVE MODE");
      await new Promise<void>((r) => (release = r));
    });
    await waitFor("lock taken", async () => release !== undefined);
    for (let i = 0; i < 100; i++) expect(await check.write(svc.base, `lock:${i % 10}`, `v${i}`)).toBe(200);
    // The flusher runs into lock_timeout and backs off. (Reading the table would block on the
    // lock too, so the proof is the retry counter, not a query.)
    const retries = async () =>
      Number(/writeback_flush_retries_total\{step="flush"\} (\d+)/.exec(await (await fetch(`${svc.base}/metrics`)).text())?.[1] ?? 0);
    await waitFor("the flusher hit the lock timeout", async () => (await retries()) >= 2);
    expect((await set(svc.base, "lock:during", "x")).status).toBe(200); // writes never wait on the lock
    release();
    await held;
    await admin.end();
    await waitFor("every acknowledged write persisted", async () => (await check.missing(s.dbUrl)).length === 0);
  });
});

describe("Redis faults", () => {
  test("the flusher's blocking connection killed (CLIENT KILL): it reconnects and keeps flushing", async () => {
    const svc = await start({ KEY_PREFIX: "ck:" });
    const check = new Checker();
    await check.write(svc.base, "ck:0", "before");
    await waitFor("persisted", async () => (await check.missing(s.dbUrl)).length === 0);
    const admin = new Redis(s.redis!.url);
    // After a flush a thread pauses (FLUSH_LINGER_MS) before it blocks in its next read.
    let blocking: string[] = [];
    await waitFor("a flusher blocked in XREAD", async () => {
      const clients = (await admin.client("LIST")) as string;
      blocking = clients.split("\n").filter((l) => /cmd=xread /.test(l));
      return blocking.length > 0;
    });
    for (const line of blocking) await admin.client("KILL", "ID", /id=(\d+)/.exec(line)![1]!);
    admin.disconnect();
    for (let i = 0; i < 20; i++) await check.write(svc.base, `ck:${i}`, `after${i}`);
    await waitFor("every acknowledged write persisted", async () => (await check.missing(s.dbUrl)).length === 0);
  });

  test("Redis out of memory: a write is refused whole with 503, never half-applied", async () => {
    s.redis = await PrivateRedis.start(["--maxmemory", "2mb", "--maxmemory-policy", "noeviction"]);
    const svc = await start({ KEY_PREFIX: "oom:", DATABASE_URL: "postgres://postgres@127.0.0.1:1/none" });
    const big = "x".repeat(64 * 1024);
    let refused: Response | undefined;
    for (let i = 0; i < 200 && !refused; i++) {
      const r = await set(svc.base, `oom:${i}`, big);
      if (r.status !== 200) refused = r;
      else await r.body?.cancel();
    }
    expect(refused?.status).toBe(503);
    expect(((await refused!.json()) as { error: { code: string } }).error.code).toBe("REDIS_UNAVAILABLE");
    // Every cache entry has its stream entry and the other way round: nothing half-applied.
    const c = new Redis(s.redis!.url);
    const cached = (await c.keys("oom:{p*}:c:*")).length;
    const streamed = await backlog(c as WritebackRedis, keys("oom:", 16));
    c.disconnect();
    expect(cached).toBe(streamed);
  });
});

/** Postgres's ErrorResponse when pg_terminate_backend ends a backend: FATAL 57P01. */
function adminShutdown(): Uint8Array {
  const fields = ["SFATAL", "VFATAL", "C57P01", "Mterminating connection due to administrator command"].map((f) => f + "\0").join("") + "\0";
  const body = new TextEncoder().encode(fields);
  const out = new Uint8Array(5 + body.length);
  out[0] = "E".charCodeAt(0);
  new DataView(out.buffer).setInt32(1, 4 + body.length);
  out.set(body, 5);
  return out;
}
