// The service as a process: crashes, restarts, graceful shutdown and Redis faults. Each test
// has its own redis-server (AOF, fsync always) and its own database; faults are injected by
// signal, crash point or command, never by sleeping and hoping.
import { setDefaultTimeout } from "bun:test";
import { describe, expect, test } from "bun:test";
import { processSuite } from "./helpers/suite";
import Redis from "ioredis";
import { keys } from "../src/keys";
import { backlog as backlogOf } from "../src/cache/read";
import type { WritebackRedis } from "../src/cache/redis";
import { Checker } from "./helpers/checker";
import { startService, set, waitFor, type Running } from "../src/testing/process";
import { freePort, PrivateRedis } from "../src/testing/services";
import { readdir } from "node:fs/promises";
import { TcpProxy } from "./helpers/proxy";

setDefaultTimeout(60_000); // these tests start processes and wait out faults

const s = processSuite();

async function start(env: Record<string, string> = {}) {
  const r = await startService({
    REDIS_URL: s.redis!.url,
    DATABASE_URL: s.dbUrl,
    KEY_PREFIX: `p${Math.random().toString(36).slice(2, 8)}:`,
    FLUSH_BLOCK_MS: "100",
    FLUSH_CLAIM_IDLE_MS: "1000",
    FLUSH_CLAIM_INTERVAL_MS: "200",
    ...env,
  });
  s.running.push(r);
  return r;
}
const backlog = async (prefix: string) => {
  const c = new Redis(s.redis!.url);
  try {
    return await backlogOf(c as WritebackRedis, keys(prefix, 16));
  } finally {
    c.disconnect();
  }
};

describe("crashes lose no acknowledged write", () => {
  // Values of 600 bytes: their stream entries carry no value, the cache hash does (entry.ts).
  test.each([["small", 0], ["large", 600]])("SIGKILL under load, then restart: every acknowledged write reaches Postgres (%s values)", async (_, bytes) => {
    s.redis = await PrivateRedis.start();
    const env = { KEY_PREFIX: "crash:", CONSUMER_NAME: "node-a" };
    const first = await start(env);
    const check = new Checker(bytes as number);
    let stop = false;
    const load = check.load(first.base, 200, () => stop);
    await waitFor("some writes", async () => check.acked.size >= 100);
    first.proc.kill(9); // mid-load: some batches in flight, some writes unflushed
    stop = true;
    await load;
    expect(check.acked.size).toBeGreaterThan(0);

    await start(env); // same consumer name: re-reads its own pending entries first
    await waitFor("every acknowledged write persisted", async () => (await check.missing(s.dbUrl)).length === 0);
    await waitFor("backlog drained", async () => (await backlog("crash:")) === 0);
  });

  test.each([
    ["before-write", 0],
    ["after-commit", 0],
    ["after-ack", 0],
    ["before-write", 600],
    ["after-commit", 600],
    ["after-ack", 600],
  ])(
    "a crash at %s of a batch loses nothing once restarted (values padded to %d bytes)",
    async (point, bytes) => {
      s.redis = await PrivateRedis.start();
      const env = { KEY_PREFIX: `cp-${point}:`, CONSUMER_NAME: "node-b" };
      const crashing = await start({ ...env, CRASH_POINT: point as string });
      const check = new Checker(bytes as number);
      for (let i = 0; i < 50; i++) await check.write(crashing.base, `cp:${i % 10}`, `v${i}`);
      await crashing.proc.exited; // the flusher killed the whole process at the crash point
      expect(crashing.proc.signalCode).toBe("SIGKILL");
      expect(check.acked.size).toBeGreaterThan(0);

      await start(env);
      await waitFor("every acknowledged write persisted", async () => (await check.missing(s.dbUrl)).length === 0);
      await waitFor("backlog drained", async () => (await backlog(`cp-${point}:`)) === 0);
    },
  );
});

describe("graceful shutdown", () => {
  test("SIGTERM under load: exits 0 and the drained writes are all in Postgres", async () => {
    s.redis = await PrivateRedis.start();
    const svc = await start({ KEY_PREFIX: "term:" });
    const check = new Checker();
    for (let i = 0; i < 300; i++) await check.write(svc.base, `term:${i % 40}`, `v${i}`);
    svc.proc.kill("SIGTERM");
    expect(await svc.proc.exited).toBe(0);
    expect(await check.missing(s.dbUrl)).toEqual([]);
    expect(await backlog("term:")).toBe(0);
  });

  test("SIGTERM while Postgres is unreachable: exits 0 within the grace period, writes stay queued", async () => {
    s.redis = await PrivateRedis.start();
    const closedPort = await freePort(); // nothing listens there: Postgres is "down"
    const svc = await start({
      KEY_PREFIX: "down:",
      DATABASE_URL: `postgres://postgres@127.0.0.1:${closedPort}/postgres`,
      SHUTDOWN_GRACE_MS: "1000",
    });
    for (let i = 0; i < 20; i++) expect((await set(svc.base, `down:${i}`, "v")).status).toBe(200);
    const started = Date.now();
    svc.proc.kill("SIGTERM");
    expect(await svc.proc.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await backlog("down:")).toBe(20); // still there for the next start

    const again = await start({ KEY_PREFIX: "down:" }); // the database is back
    await waitFor("backlog drained after restart", async () => (await backlog("down:")) === 0);
    again.proc.kill("SIGTERM");
    await again.proc.exited;
  });
});

describe("Redis faults", () => {
  test.each([["small", 0], ["large", 600]])("redis-server kill -9 and restart (AOF): writes fail fast with 503, then recover; nothing acknowledged is lost (%s values)", async (_, bytes) => {
    s.redis = await PrivateRedis.start();
    const svc = await start({ KEY_PREFIX: "rk:", REDIS_COMMAND_TIMEOUT_MS: "500" });
    const check = new Checker(bytes as number);
    for (let i = 0; i < 100; i++) await check.write(svc.base, `rk:${i % 20}`, `a${i}`);
    await s.redis.kill();

    const t0 = performance.now();
    const r = await set(svc.base, "rk:during", "x");
    expect(r.status).toBe(503);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe("REDIS_UNAVAILABLE");
    expect(performance.now() - t0).toBeLessThan(1500);

    await s.redis.start(); // same port, same AOF
    await waitFor("writes accepted again", async () => (await set(svc.base, "rk:probe", "x")).status === 200);
    for (let i = 0; i < 100; i++) await check.write(svc.base, `rk:${i % 20}`, `b${i}`);
    await waitFor("every acknowledged write persisted", async () => (await check.missing(s.dbUrl)).length === 0);
  });

  test("started before Redis: listens after the connect timeout, answers 503 until Redis is up, then writes", async () => {
    s.redis = new PrivateRedis(await freePort()); // not started yet
    const svc = await start({ KEY_PREFIX: "late:", REDIS_COMMAND_TIMEOUT_MS: "300" });
    const r = await set(svc.base, "late:1", "x");
    expect(r.status).toBe(503);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe("REDIS_UNAVAILABLE");
    expect((await fetch(`${svc.base}/ready`)).status).toBe(503);
    await s.redis.start();
    await waitFor("writes accepted", async () => (await set(svc.base, "late:1", "y")).status === 200);
    expect((await fetch(`${svc.base}/ready`)).status).toBe(200);
  });

  test("the first write after start is accepted: it listens only once its Redis connection is up", async () => {
    s.redis = await PrivateRedis.start();
    for (let i = 0; i < 3; i++) {
      const svc = await start({ KEY_PREFIX: `first${i}:` });
      const answers = await Promise.all(Array.from({ length: 8 }, (_, j) => set(svc.base, `first${i}:${j}`, "v")));
      expect(answers.map((a) => a.status)).toEqual(new Array(8).fill(200));
      svc.proc.kill(9);
    }
  });

  test("FLUSHALL under load: the flusher recreates its group and later writes still win in Postgres", async () => {
    s.redis = await PrivateRedis.start();
    const svc = await start({ KEY_PREFIX: "fa:" });
    const check = new Checker();
    let stop = false;
    const load = check.load(svc.base, 50, () => stop);
    await waitFor("load under way", async () => check.acked.size >= 50);
    const c = new Redis(s.redis!.url);
    await c.flushall(); // Redis loses everything: cache, stream, consumer group, versions
    c.disconnect();
    await Bun.sleep(200);
    stop = true;
    await load;
    // One more write per key after the loss: that is the highest acknowledged version of each,
    // and it must win in Postgres over whatever was persisted before the loss.
    for (let i = 0; i < 50; i++) expect(await check.write(svc.base, `load:${i}`, `final${i}`)).toBe(200);
    await waitFor("the latest writes persisted", async () => (await check.missing(s.dbUrl)).length === 0);
  });
});

describe("flusher threads", () => {
  test("a thread that throws is restarted, counted, and the writes still reach Postgres", async () => {
    s.redis = await PrivateRedis.start();
    const svc = await start({ KEY_PREFIX: "tt:", CRASH_POINT: "thread-throw", FLUSH_WORKERS: "2" });
    const check = new Checker();
    for (let i = 0; i < 20; i++) {
      await check.write(svc.base, `tt:${i}`, `v${i}`);
      await Bun.sleep(20);
    }
    await waitFor("every acknowledged write persisted", async () => (await check.missing(s.dbUrl)).length === 0);
    const restarts = async () => Number(/^writeback_worker_restarts_total (\d+)/m.exec(await (await fetch(`${svc.base}/metrics`)).text())?.[1]);
    await waitFor("the restart counted", async () => (await restarts()) >= 1);
    await waitFor("healthy again", async () => (await fetch(`${svc.base}/health`)).status === 200);
  });
});

describe("scheduling", () => {
  test("flusher threads run at FLUSH_NICE, the HTTP thread at the process's own priority", async () => {
    s.redis = await PrivateRedis.start();
    const svc = await start({ FLUSH_WORKERS: "2", FLUSH_NICE: "7" });
    const niceOf = async () => {
      const out: { tid: number; nice: number }[] = [];
      for (const tid of await readdir(`/proc/${svc.proc.pid}/task`)) {
        const stat = await Bun.file(`/proc/${svc.proc.pid}/task/${tid}/stat`).text().catch(() => "");
        // the 19th field, counted after the ")" that closes the thread's name
        if (stat) out.push({ tid: Number(tid), nice: Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]) });
      }
      return out;
    };
    await waitFor("two niced threads", async () => (await niceOf()).filter((t) => t.nice === 7).length === 2);
    const main = (await niceOf()).find((t) => t.tid === svc.proc.pid); // the HTTP thread
    expect(main?.nice).toBe(0);
  });
});

describe("backpressure", () => {
  test("past MAX_BACKLOG, writes answer 503 BACKPRESSURE with Retry-After, and resume once drained", async () => {
    s.redis = await PrivateRedis.start();
    const closedPort = await freePort();
    const env = { KEY_PREFIX: "bp:", MAX_BACKLOG: "10" };
    const svc = await start({ ...env, DATABASE_URL: `postgres://postgres@127.0.0.1:${closedPort}/postgres`, SHUTDOWN_GRACE_MS: "200" });
    for (let i = 0; i < 10; i++) expect((await set(svc.base, `bp:${i}`, "v")).status).toBe(200);
    const refused = await set(svc.base, "bp:over", "v");
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBeTruthy();
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("BACKPRESSURE");
    svc.proc.kill("SIGTERM");
    await svc.proc.exited;

    const healthy = await start(env); // the database is reachable again: the backlog drains
    await waitFor("writes accepted again", async () => (await set(healthy.base, "bp:after", "v")).status === 200);
  });
});

describe("Redis unreachable under load, then back", () => {
  // The two ways Redis goes away without losing its data: the server stops answering (a
  // pause: SIGSTOP, a long fork, a stalled disk), or the network between drops every
  // connection. Either way a write answers within REDIS_COMMAND_TIMEOUT_MS (503, and it may
  // still land), the service recovers by itself, and nothing acknowledged is lost.
  const faults = [
    ["paused (SIGSTOP) for 4 s", "pause"],
    ["connections cut for 3 s", "cut"],
  ] as const;
  test.each(faults.flatMap(([name, how]) => [[name, "small", how, 0] as const, [name, "large", how, 600] as const]))(
    "Redis %s: writes answer 503 within the command timeout, then recover; nothing acknowledged is lost (%s values)",
    async (_, __, how, bytes) => {
      s.redis = await PrivateRedis.start();
      const proxy = how === "cut" ? new TcpProxy("127.0.0.1", s.redis.port).start() : undefined;
      try {
        const svc = await start({
          KEY_PREFIX: "ru:",
          REDIS_COMMAND_TIMEOUT_MS: "500",
          ...(proxy ? { REDIS_URL: `redis://127.0.0.1:${proxy.port}` } : {}),
        });
        const check = new Checker(bytes);
        let stop = false;
        const load = check.load(svc.base, 200, () => stop, 8);
        await waitFor("writes acknowledged", async () => check.acked.size > 50);
        const faultStarted = Date.now();
        if (proxy) proxy.cut();
        else s.redis.proc!.kill("SIGSTOP");
        await Bun.sleep(how === "cut" ? 3000 : 4000);
        const failedDuring = check.failures;
        if (proxy) proxy.restore();
        else s.redis.proc!.kill("SIGCONT");
        const faultEnded = Date.now();
        // Writes acknowledged, not keys (the 200 keys may all have been acknowledged already).
        const ackedBefore = check.acknowledged;
        await waitFor("writes acknowledged again", async () => check.acknowledged > ackedBefore + 50, 20_000);
        stop = true;
        await load;
        expect(failedDuring).toBeGreaterThan(0); // the fault was felt
        // Every refused write was a 503 (a timeout or Redis unavailable), none hung past one command timeout.
        expect(check.failureReasons.filter((r) => !r.startsWith("503"))).toEqual([]);
        expect(check.slowestMs).toBeLessThan(2000);
        await waitFor("every acknowledged write persisted", async () => (await check.missing(s.dbUrl)).length === 0, 30_000);
        expect(Date.now() - faultEnded).toBeLessThan(40_000);
        expect(faultEnded - faultStarted).toBeGreaterThan(2500);
      } finally {
        proxy?.stop();
        if (how === "pause") s.redis?.proc?.kill("SIGCONT");
      }
    },
  );
});
