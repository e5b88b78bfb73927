// REDIS_WAIT_REPLICAS: a write is answered only once Redis's WAIT confirms it reached that many
// replicas, or 503 REPLICATION_TIMEOUT; with it, a master killed under load and replaced by its
// replica loses no acknowledged write. Without it, the last moments' writes may be lost: the
// test measures how many.
import { expect, setDefaultTimeout, test } from "bun:test";
import Redis from "ioredis";
import { processSuite } from "./helpers/suite";
import { set, startService, waitFor } from "../src/testing/process";
import { Checker } from "./helpers/checker";
import { TcpProxy } from "./helpers/proxy";
import { PrivateRedis } from "../src/testing/services";

setDefaultTimeout(90_000);

const s = processSuite();
const extra: PrivateRedis[] = [];

async function stopExtra() {
  for (const r of extra.splice(0)) await r.stop();
}

async function replicaOf(master: PrivateRedis): Promise<PrivateRedis> {
  const replica = await PrivateRedis.start(["--replicaof", "127.0.0.1", String(master.port)]);
  extra.push(replica);
  const m = new Redis(master.url);
  const r = new Redis(replica.url);
  try {
    await waitFor("the replica in sync", async () => /slave0:.*state=online/.test(await m.info("replication")));
    // The master calls the replica online once it has sent the snapshot; the replica loads it
    // before it reads the stream and acknowledges: until then a WAIT times out.
    await waitFor("the replica linked", async () => /master_link_status:up/.test(await r.info("replication")));
  } finally {
    m.disconnect();
    r.disconnect();
  }
  return replica;
}

async function start(redisUrl: string, env: Record<string, string> = {}) {
  const r = await startService({ REDIS_URL: redisUrl, DATABASE_URL: s.dbUrl, KEY_PREFIX: "rp:", CONSUMER_NAME: "rp", FLUSH_BLOCK_MS: "100", ...env });
  s.running.push(r);
  return r;
}

const post = (base: string, path: string, body: unknown) =>
  fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

test("with REDIS_WAIT_REPLICAS=1 and no replica, writes answer 503 REPLICATION_TIMEOUT within REDIS_WAIT_TIMEOUT_MS; with a replica, 200", async () => {
  try {
    s.redis = await PrivateRedis.start();
    const svc = await start(s.redis.url, { REDIS_WAIT_REPLICAS: "1", REDIS_WAIT_TIMEOUT_MS: "200" });
    for (const [path, body] of [
      ["/set", { key: "a", value: "1" }],
      ["/incr", { key: "n", by: 1 }],
      ["/mset", { items: [{ key: "b", value: "2" }] }],
      ["/del", { key: "a" }],
    ] as const) {
      const t0 = performance.now();
      const r = await post(svc.base, path, body);
      expect(r.status).toBe(503);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe("REPLICATION_TIMEOUT");
      expect(performance.now() - t0).toBeLessThan(1500);
    }
    await replicaOf(s.redis);
    // Right after its full sync the replica can take longer than this test's 200 ms WAIT to
    // acknowledge the first writes (seen on a loaded machine with the link up): what must hold
    // is that writes succeed once a replica is attached, not how soon after the sync.
    await waitFor("a write acknowledged by the replica", async () => (await set(svc.base, "c", "3")).status === 200, 10_000);
    expect((await post(svc.base, "/incr", { key: "n", by: 1 })).status).toBe(200);
  } finally {
    await stopExtra();
  }
});

test.each([
  ["REDIS_WAIT_REPLICAS=1", "1"],
  ["REDIS_WAIT_REPLICAS=0", "0"],
])("master kill -9 under load, its replica promoted (%s): writes resume, acknowledged writes reach Postgres", async (_, replicas) => {
  const proxy = new TcpProxy("127.0.0.1", 1); // pointed at the master below
  try {
    s.redis = await PrivateRedis.start();
    const replica = await replicaOf(s.redis);
    const second = await replicaOf(s.redis); // after the failover, the new master's replica
    proxy.retarget("127.0.0.1", s.redis.port);
    proxy.start();
    const svc = await start(`redis://127.0.0.1:${proxy.port}`, {
      REDIS_WAIT_REPLICAS: replicas,
      REDIS_WAIT_TIMEOUT_MS: "500",
      REDIS_COMMAND_TIMEOUT_MS: "1000",
    });
    const check = new Checker();
    let stop = false;
    const load = check.load(svc.base, 500, () => stop, 8);
    await waitFor("writes acknowledged", async () => check.acked.size > 300);
    // The failover, as Sentinel or an operator does it: the master dies, a replica is
    // promoted, the other replica follows it, and clients are sent to it.
    await s.redis.kill();
    const r = new Redis(replica.url);
    const r2 = new Redis(second.url);
    try {
      await r.replicaof("NO", "ONE");
      await r2.replicaof("127.0.0.1", replica.port);
    } finally {
      r.disconnect();
      r2.disconnect();
    }
    proxy.retarget("127.0.0.1", replica.port);
    const ackedAtFailover = new Map(check.acked);
    await waitFor("writes acknowledged by the new master", async () => {
      let newer = 0;
      for (const [k, v] of check.acked) if ((ackedAtFailover.get(k)?.version ?? 0) < v.version) newer++;
      return newer > 200;
    }, 30_000);
    stop = true;
    await load;
    const nonUnavailable = check.failureReasons.filter((r) => !r.startsWith("503"));
    expect(nonUnavailable).toEqual([]);
    if (replicas === "1") {
      await waitFor("every acknowledged write persisted", async () => (await check.missing(s.dbUrl)).length === 0, 30_000);
    } else {
      // Asynchronous replication: what the master acknowledged in its last moments and had not
      // sent to the replica is gone. Measured, and bounded: the figure is in docs/failure-modes.md.
      await Bun.sleep(3000);
      await waitFor("the backlog persisted", async () => (await set(svc.base, "probe", "x")).status === 200);
      const missing = await check.missingWhenDrained(s.dbUrl, svc.base, 30_000);
      console.log(`without WAIT: ${missing.length} of ${check.acked.size} keys lost their last acknowledged write in the failover`);
      expect(missing.length).toBeLessThan(check.acked.size * 0.05);
    }
  } finally {
    proxy.stop();
    await stopExtra();
  }
});
