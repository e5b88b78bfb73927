// Several instances on one Redis: each consumes under a name of its own. By default the name is
// the host name and the port, so instances on different ports (or hosts) differ; two live
// instances given the same CONSUMER_NAME are detected and the second refuses to start.
import { expect, setDefaultTimeout, test } from "bun:test";
import Redis from "ioredis";
import { keys } from "../src/keys";
import postgres from "postgres";
import { hostname } from "node:os";
import { set, startService, waitFor } from "../src/testing/process";
import { PrivateRedis } from "../src/testing/services";
import { processSuite } from "./helpers/suite";
import { threeInstances } from "./helpers/instances";

setDefaultTimeout(60_000);

const s = processSuite();

async function start(env: Record<string, string> = {}) {
  const r = await startService({ REDIS_URL: s.redis!.url, DATABASE_URL: s.dbUrl, KEY_PREFIX: "in:", FLUSH_BLOCK_MS: "100", ...env });
  s.running.push(r);
  return r;
}

/** The live consumers (flusher threads) of the deployment. */
async function consumers(): Promise<string[]> {
  const redis = new Redis(s.redis!.url);
  try {
    return (await redis.zrange(keys("in:", 16).members, "0", "-1")).sort();
  } finally {
    redis.disconnect();
  }
}

test("two instances with the default CONSUMER_NAME (host name and port) both consume, under names of their own", async () => {
  s.redis = await PrivateRedis.start();
  const a = await start();
  const b = await start();
  for (let i = 0; i < 200; i++) expect((await set(i % 2 ? a.base : b.base, `k${i}`, "v")).status).toBe(200);
  await waitFor("both instances' threads among the consumers", async () => (await consumers().catch(() => [])).length === 4);
  expect(await consumers()).toEqual([`${hostname()}-${a.port}-0`, `${hostname()}-${a.port}-1`, `${hostname()}-${b.port}-0`, `${hostname()}-${b.port}-1`].sort());
  const sql = postgres(s.dbUrl, { max: 1, onnotice: () => {} });
  try {
    await waitFor("every write persisted", async () => Number((await sql`SELECT count(*)::int AS n FROM writeback_kv`.catch(() => [{ n: 0 }]))[0]!.n) === 200);
  } finally {
    await sql.end();
  }
});

test("a second live instance with the same CONSUMER_NAME refuses to start, naming the variable", async () => {
  s.redis = await PrivateRedis.start();
  await start({ CONSUMER_NAME: "twin" });
  const second = await start({ CONSUMER_NAME: "twin" }).catch((e: Error) => e);
  // It may have answered /health before it gave up; either way it exits 2 within the lease's TTL.
  const proc = second instanceof Error ? undefined : second.proc;
  if (proc) {
    expect(await proc.exited).toBe(2);
    expect(second instanceof Error ? "" : second.output()).toContain("CONSUMER_NAME");
  } else expect(String(second)).toContain("CONSUMER_NAME");
  expect(await consumers()).toEqual(["twin-0", "twin-1"]); // the first one's threads only
});

test("kill -9 and a restart under the same name: the restart takes the name once the dead one's heartbeat lapses", async () => {
  s.redis = await PrivateRedis.start();
  const first = await start({ CONSUMER_NAME: "again", FLUSH_LINGER_MS: "10000" });
  for (let i = 0; i < 50; i++) expect((await set(first.base, `k${i}`, "v")).status).toBe(200);
  first.proc.kill(9);
  await first.proc.exited;
  const started = Date.now();
  const second = await start({ CONSUMER_NAME: "again" });
  const sql = postgres(s.dbUrl, { max: 1, onnotice: () => {} });
  try {
    await waitFor("every acknowledged write persisted by the restart", async () => Number((await sql`SELECT count(*)::int AS n FROM writeback_kv`.catch(() => [{ n: 0 }]))[0]!.n) === 50);
  } finally {
    await sql.end();
  }
  expect(Date.now() - started).toBeLessThan(15_000); // not the 30 s reclaim: its own pending entries, re-read
  expect(second.proc.exitCode).toBeNull();
});

test("kill -9 of an instance that held every partition, restarted under its name beside a new instance: the new one's share is flushed at once, not after the dead one's leases lapse", async () => {
  s.redis = await PrivateRedis.start();
  const count = async (sql: postgres.Sql) => Number((await sql`SELECT count(*)::int AS n FROM writeback_kv`.catch(() => [{ n: 0 }]))[0]!.n);
  const sql = postgres(s.dbUrl, { max: 1, onnotice: () => {} });
  try {
    // Alone, its one thread claims all 16 partitions.
    const solo = await start({ CONSUMER_NAME: "solo", FLUSH_WORKERS: "1" });
    expect((await set(solo.base, "first", "v")).status).toBe(200);
    await waitFor("the first write persisted", async () => (await count(sql)) === 1);
    solo.proc.kill(9);
    await solo.proc.exited;
    const killed = Date.now();
    // The new instance shares the partitions with the dead thread (still a member), then the
    // restart comes back under the name: it claims its share, and must free the rest.
    const other = await start({ CONSUMER_NAME: "other", FLUSH_WORKERS: "1" });
    for (let i = 0; i < 50; i++) expect((await set(other.base, `k${i}`, "v")).status).toBe(200);
    await start({ CONSUMER_NAME: "solo", FLUSH_WORKERS: "1" });
    await waitFor("every acknowledged write persisted", async () => (await count(sql)) === 51, 30_000);
    // FLUSH_CLAIM_IDLE_MS is 30 s: without the restart freeing them, half the keys wait that long.
    expect(Date.now() - killed).toBeLessThan(15_000);
  } finally {
    await sql.end();
  }
});

test("an instance paused past its heartbeat, whose name another instance took meanwhile, stops when it resumes", async () => {
  s.redis = await PrivateRedis.start();
  const paused = await start({ CONSUMER_NAME: "pause" });
  // The name's heartbeat key holds `<until ms> <id>` of the instance that holds the name.
  const lease = keys("in:", 16).consumer("pause");
  const redis = new Redis(s.redis.url);
  const holder = async () => {
    const [value, [sec, usec]] = await Promise.all([redis.get(lease), redis.time()]);
    const m = /^(\d+) (.+)$/.exec(value ?? "");
    return m && Number(m[1]) > Number(sec) * 1000 + Math.floor(Number(usec) / 1000) ? m[2]! : null;
  };
  try {
    // /health answers before the name is taken (the lease is acquired after the port listens).
    await waitFor("the instance holds its name", async () => (await holder()) !== null);
    const first = await holder();
    // Not a 3 s TTL, which volatile-ttl would evict first: the lease's time is in the value,
    // and the key itself is kept for an hour after its last renewal.
    expect(await redis.pttl(lease)).toBeGreaterThan(30 * 60_000);
    paused.proc.kill("SIGSTOP");
    await waitFor("the paused instance's heartbeat lapsed", async () => (await holder()) === null);
    const other = await start({ CONSUMER_NAME: "pause" });
    await waitFor("the other instance holds the name", async () => ![null, first].includes(await holder()));
    paused.proc.kill("SIGCONT");
    expect(await paused.proc.exited).toBe(2);
    expect(paused.output()).toContain("CONSUMER_NAME");
    expect(other.proc.exitCode).toBeNull();
    expect((await set(other.base, "after", "v")).status).toBe(200);
  } finally {
    redis.disconnect();
  }
});

test.each([["small", 0], ["large", 600]])(
  "three instances under load: kill -9 one, SIGSTOP another past the claim idle time, SIGCONT: nothing acknowledged lost, no version in Postgres ever goes down (%s values)",
  async (_, bytes) => {
    s.redis = await PrivateRedis.start();
    await threeInstances(start, s.dbUrl, bytes as number);
  },
);
