// What only a whole process shows: drains cut short at the grace period, health of a stuck
// thread, driver exceptions contained, Redis restarts, the port, HTTP/1.0 without Host, and
// one database per deployment. Each test runs writeback as a process with its own redis-server and database.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import postgres from "postgres";
import Redis from "ioredis";
import { Checker } from "./helpers/checker";
import { runService, set, startService, waitFor } from "../src/testing/process";
import { freePort, PrivateRedis } from "../src/testing/services";
import { processSuite } from "./helpers/suite";
import { TcpProxy } from "./helpers/proxy";

setDefaultTimeout(60_000);

const s = processSuite();

async function start(env: Record<string, string> = {}, o: { port?: number } = {}) {
  const r = await startService(
    { REDIS_URL: s.redis!.url, DATABASE_URL: s.dbUrl, KEY_PREFIX: "ph:", FLUSH_BLOCK_MS: "100", ...env },
    o,
  );
  s.running.push(r);
  return r;
}

describe("drain", () => {
  test("SIGTERM cuts a flusher's backoff sleep short: the process exits at the grace period, not after its sleep", async () => {
    s.redis = await PrivateRedis.start();
    const closed = await freePort(); // Postgres is down: the flusher backs off, longer each time
    const svc = await start({
      DATABASE_URL: `postgres://postgres@127.0.0.1:${closed}/postgres`,
      FLUSH_RETRY_MAX_MS: "20000",
      FLUSH_WORKERS: "1",
      SHUTDOWN_GRACE_MS: "1000",
    });
    expect((await set(svc.base, "drain:1", "v")).status).toBe(200);
    // After its 7th failed attempt the thread sleeps 3.2 to 6.4 s (backoff with jitter).
    const retries = async () =>
      Number(/writeback_flush_retries_total\{step="setup"\} (\d+)/.exec(await (await fetch(`${svc.base}/metrics`)).text())?.[1] ?? 0);
    await waitFor("a long backoff sleep", async () => (await retries()) >= 7, 40_000);
    const t0 = performance.now();
    svc.proc.kill("SIGTERM");
    expect(await svc.proc.exited).toBe(0);
    expect(performance.now() - t0).toBeLessThan(1800); // was the grace period plus 2 s
  });
});

describe("health", () => {
  test("/health is 503, with the reason, while a thread turns but a batch makes no progress; 200 once it does", async () => {
    s.redis = await PrivateRedis.start();
    const svc = await start({ FLUSH_STUCK_MS: "1000", DB_LOCK_TIMEOUT_MS: "100", FLUSH_RETRY_MAX_MS: "200" });
    const check = new Checker();
    await check.write(svc.base, "stuck:0", "x");
    await waitFor("persisted", async () => (await check.missing(s.dbUrl)).length === 0);
    const admin = postgres(s.dbUrl, { max: 1, onnotice: () => {} });
    let release!: () => void;
    const held = admin.begin(async (tx) => {
      await tx.unsafe("LOCK TABLE writeback_kv IN ACCESS EXCLUSIVE MODE");
      await new Promise<void>((r) => (release = r));
    });
    try {
      await waitFor("lock taken", async () => release !== undefined);
      await check.write(svc.base, "stuck:1", "y");
      let body: { status: string; reason?: string } = { status: "" };
      await waitFor("health fails", async () => {
        const r = await fetch(`${svc.base}/health`);
        body = (await r.json()) as typeof body;
        return r.status === 503;
      }, 10_000);
      expect(body.reason).toContain("no progress");
      expect(body.reason).toContain("55P03"); // the lock timeout it keeps meeting
    } finally {
      release();
      await held;
      await admin.end();
    }
    await waitFor("healthy again", async () => (await fetch(`${svc.base}/health`)).status === 200);
    await waitFor("persisted", async () => (await check.missing(s.dbUrl)).length === 0);
  });
});

describe("flusher threads", () => {
  test.each([
    ["an exception thrown from a driver's callback", "driver-throw"],
    // postgres.js drops the promise of its array-types query; a backend terminated during that
    // handshake rejected it where no caller could catch it, and the thread was restarted, its
    // partitions waiting out their leases (a CI run lost 20 s of flushing to it).
    ["a rejection a driver leaves unhandled", "thread-reject"],
  ])("%s is contained: the thread keeps flushing, no restart", async (_, point) => {
    s.redis = await PrivateRedis.start();
    const svc = await start({ CRASH_POINT: point, FLUSH_WORKERS: "1" });
    const check = new Checker();
    for (let i = 0; i < 20; i++) {
      await check.write(svc.base, `dt:${i}`, `v${i}`);
      await Bun.sleep(20);
    }
    await waitFor("every acknowledged write persisted", async () => (await check.missing(s.dbUrl)).length === 0);
    // The threads' counters reach /metrics with their next heartbeat (every 250 ms).
    const metricsText = async () => (await fetch(`${svc.base}/metrics`)).text();
    await waitFor("the contained error counted", async () => /^writeback_flusher_contained_errors_total 1$/m.test(await metricsText()));
    const metrics = await metricsText();
    expect(metrics).toMatch(/^writeback_worker_restarts_total 0$/m);
  });
});

describe("the main thread", () => {
  test("an exception thrown from a driver's callback outside any request is contained: the process keeps serving, its database client is replaced", async () => {
    s.redis = await PrivateRedis.start();
    const svc = await start({ CRASH_POINT: "main-driver-throw" });
    const check = new Checker();
    for (let i = 0; i < 20; i++) await check.write(svc.base, `mt:${i}`, `v${i}`);
    await waitFor("every acknowledged write persisted", async () => (await check.missing(s.dbUrl)).length === 0);
    expect((await fetch(`${svc.base}/get/mt:3?source=db`)).status).toBe(200); // the new client reads
    expect(await (await fetch(`${svc.base}/metrics`)).text()).toMatch(/^writeback_contained_errors_total 1$/m);
    expect(svc.proc.exitCode).toBeNull();
  });

  test("the database's connections reset under load, again and again: the process keeps serving (a rejection the driver left unhandled ended it)", async () => {
    s.redis = await PrivateRedis.start();
    const direct = new URL(s.dbUrl);
    const proxy = new TcpProxy(direct.hostname, Number(direct.port || 5432)).start();
    const viaProxy = new URL(s.dbUrl);
    viaProxy.hostname = "127.0.0.1";
    viaProxy.port = String(proxy.port);
    const svc = await start({ DATABASE_URL: viaProxy.toString(), DB_STATEMENT_TIMEOUT_MS: "200", FLUSH_RETRY_MAX_MS: "100" });
    const check = new Checker();
    try {
      const inFlight: Promise<unknown>[] = [];
      for (let round = 0; round < 120 && svc.proc.exitCode === null; round++) {
        // Database reads and increments of keys not cached (each reads the database), cut mid-flight.
        for (let j = 0; j < 20; j++) {
          inFlight.push(fetch(`${svc.base}/get/cut:${j}?source=db`).then((r) => r.arrayBuffer(), () => {}));
          inFlight.push(check.write(svc.base, `cut:${round}:${j}`, "v").catch(() => {}));
        }
        await Bun.sleep(5 + Math.random() * 10);
        proxy.cut();
        await Bun.sleep(5);
        proxy.restore();
      }
      await Promise.all(inFlight);
      expect(svc.proc.exitCode).toBeNull();
      await waitFor("every acknowledged write persisted", async () => (await check.missing(s.dbUrl)).length === 0, 60_000);
    } finally {
      proxy.stop();
    }
  });
});

describe("Redis restart", () => {
  test("with a large AOF: writes are accepted soon after Redis answers again", async () => {
    s.redis = await PrivateRedis.start(["--enable-debug-command", "yes", "--appendfsync", "everysec"]);
    const svc = await start({ REDIS_COMMAND_TIMEOUT_MS: "500" });
    const c = new Redis(s.redis.url);
    await c.call("DEBUG", "POPULATE", "1500000", "fill", "64"); // ~200 MB: a second or two to load
    await c.bgrewriteaof();
    await waitFor("AOF rewritten", async () => /aof_rewrite_in_progress:0/.test(await c.info("persistence")) && /aof_rewrite_scheduled:0/.test(await c.info("persistence")), 60_000);
    c.disconnect();
    await s.redis.kill();
    await Bun.sleep(2500); // long enough for the client's reconnect attempts to back off
    await s.redis.start(); // returns once it answers PING (the AOF is loaded)
    const answered = performance.now();
    await waitFor("a write accepted", async () => (await set(svc.base, "aof:after", "v")).status === 200, 20_000);
    const ms = performance.now() - answered;
    console.log(`first write accepted ${Math.round(ms)} ms after Redis answered again`);
    expect(ms).toBeLessThan(1000);
  }, 120_000);
});

describe("startup", () => {
  test("a second instance on the same port fails with 'port in use' instead of sharing it", async () => {
    s.redis = await PrivateRedis.start();
    const first = await start();
    const second = await runService({ REDIS_URL: s.redis.url, DATABASE_URL: s.dbUrl, KEY_PREFIX: "ph:", PORT: String(first.port) });
    expect(second.code).toBe(1);
    expect(second.output).toContain("port in use");
    expect((await set(first.base, "port:1", "v")).status).toBe(200);
  });

  test("a second deployment (another KEY_PREFIX) on the same database refuses to start, naming KEY_PREFIX", async () => {
    s.redis = await PrivateRedis.start();
    const first = await start({ KEY_PREFIX: "dep-a:" });
    const check = new Checker();
    await check.write(first.base, "owned", "a");
    await waitFor("persisted", async () => (await check.missing(s.dbUrl)).length === 0);
    const other = await runService({ REDIS_URL: s.redis.url, DATABASE_URL: s.dbUrl, KEY_PREFIX: "dep-b:", PORT: "0" });
    expect(other.code).toBe(2);
    expect(other.output).toContain("KEY_PREFIX");
    expect(await check.missing(s.dbUrl)).toEqual([]); // its rows untouched
  });
});

describe("refusing what can lose writes", () => {
  test("Redis with an allkeys-* eviction policy: exits 2 naming the setting; ALLOW_ALLKEYS_EVICTION=true overrides", async () => {
    s.redis = await PrivateRedis.start(["--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru"]);
    const refused = await runService({ REDIS_URL: s.redis.url, DATABASE_URL: s.dbUrl, KEY_PREFIX: "ph:", PORT: "0" });
    expect(refused.code).toBe(2);
    expect(refused.output).toContain("maxmemory-policy");
    expect(refused.output).toContain("volatile-lru");
    const allowed = await start({ ALLOW_ALLKEYS_EVICTION: "true" });
    expect((await set(allowed.base, "allkeys:1", "v")).status).toBe(200);
  });

  test("a database migrated by a newer writeback (an unknown migration): exits 2", async () => {
    s.redis = await PrivateRedis.start();
    const first = await start();
    const check = new Checker();
    await check.write(first.base, "mig:1", "v");
    await waitFor("persisted", async () => (await check.missing(s.dbUrl)).length === 0);
    first.proc.kill("SIGTERM");
    await first.proc.exited;
    const sql = postgres(s.dbUrl, { max: 1, onnotice: () => {} });
    await sql.unsafe("INSERT INTO writeback_migrations (id, name) VALUES (9999, '9999_from_the_future')");
    await sql.end();
    const refused = await runService({ REDIS_URL: s.redis.url, DATABASE_URL: s.dbUrl, KEY_PREFIX: "ph:", PORT: "0" });
    expect(refused.code).toBe(2);
    expect(refused.output).toContain("9999_from_the_future");
  });
});

describe("HTTP/1.0 without a Host header", () => {
  test("GET /get/<key> reads the key (the URL arrives relative)", async () => {
    s.redis = await PrivateRedis.start();
    const svc = await start();
    expect((await set(svc.base, "nohost", "there")).status).toBe(200);
    const reply = await new Promise<string>((resolve, reject) => {
      let data = "";
      Bun.connect({
        hostname: "127.0.0.1",
        port: svc.port,
        socket: {
          open(sock) {
            sock.write("GET /get/nohost HTTP/1.0\r\n\r\n");
          },
          data(_, chunk) {
            data += new TextDecoder().decode(chunk);
          },
          close() {
            resolve(data);
          },
          error(_, err) {
            reject(err);
          },
        },
      }).catch(reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.[01] 200/);
    expect(reply).toContain('"value":"there"');
  });
});
