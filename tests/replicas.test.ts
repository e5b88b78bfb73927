// REDIS_WAIT_REPLICAS: a write is answered only once Redis's WAIT confirms it reached that many
// replicas, or 503 REPLICATION_TIMEOUT. (A kill -9 failover test under load is not here yet:
// see docs/failure-modes.md.)
import { expect, setDefaultTimeout, test } from "bun:test";
import Redis from "ioredis";
import { processSuite } from "./helpers/suite";
import { set, startService, waitFor } from "../src/testing/process";
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
  try {
    await waitFor("the replica in sync", async () => /slave0:.*state=online/.test(await m.info("replication")));
  } finally {
    m.disconnect();
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
    expect((await set(svc.base, "c", "3")).status).toBe(200);
    expect((await post(svc.base, "/incr", { key: "n", by: 1 })).status).toBe(200);
  } finally {
    await stopExtra();
  }
});
