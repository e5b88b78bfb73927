// Upgrading from the release before partitions (one stream `<prefix>stream`, hashes
// `<prefix>c:<key>`): the new binary drains what that stream holds into the database, the
// old hashes answer reads until then, and a different partition count than the data's is
// refused. The old layout is written here as the old set.lua wrote it.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import Redis from "ioredis";
import postgres from "postgres";
import { startService, set, waitFor } from "../src/testing/process";
import { PrivateRedis } from "../src/testing/services";
import { processSuite } from "./helpers/suite";

setDefaultTimeout(60_000);
const s = processSuite();

const P = "up:";
const UNREACHABLE_DB = "postgres://postgres@127.0.0.1:1/none";

/** What the old release left in Redis: `n` writes (every tenth a large value kept only in its hash), some pending on a consumer that died, one dead letter. */
async function oldRelease(redis: Redis, n: number): Promise<Map<string, { value: string; version: number }>> {
  const written = new Map<string, { value: string; version: number }>();
  const base = Date.now() * 1000;
  for (let i = 0; i < n; i++) {
    const key = `${P}${i}`;
    const value = i % 10 === 0 ? `large-${i}-`.padEnd(600, "x") : `v${i}`;
    const version = base + i;
    await redis.hset(`${P}c:${key}`, "v", value, "ver", String(version));
    if (value.length < 512) await redis.xadd(`${P}stream`, "*", "k", key, "v", value, "ver", String(version));
    else await redis.xadd(`${P}stream`, "*", "k", key, "ver", String(version), "n", String(value.length));
    written.set(key, { value, version });
  }
  await redis.hset(`${P}c:${P}ctr`, "v", "41", "ver", String(base + n));
  await redis.xadd(`${P}stream`, "*", "k", `${P}ctr`, "v", "41", "ver", String(base + n));
  written.set(`${P}ctr`, { value: "41", version: base + n });
  await redis.xgroup("CREATE", `${P}stream`, `${P}flushers`, "0");
  // An instance of the old release read these, then died before persisting them.
  await redis.xreadgroup("GROUP", `${P}flushers`, "old-host-8000-0", "COUNT", Math.floor(n / 3), "STREAMS", `${P}stream`, ">");
  await redis.xadd(`${P}dead`, "*", "k", `${P}poison`, "v", "p", "ver", "5", "source_id", "1-0", "reason", "rejected by the database", "error", "");
  return written;
}

async function start(env: Record<string, string> = {}) {
  const r = await startService({ REDIS_URL: s.redis!.url, DATABASE_URL: s.dbUrl, KEY_PREFIX: P, FLUSH_BLOCK_MS: "100", ...env });
  s.running.push(r);
  return r;
}

describe("upgrading from one stream to partitions", () => {
  test("every write the old release acknowledged reaches the database; its hashes answer reads until then; its dead letters stay listed", async () => {
    s.redis = await PrivateRedis.start();
    const redis = new Redis(s.redis.url);
    const sql = postgres(s.dbUrl, { max: 1, onnotice: () => {} });
    try {
      const written = await oldRelease(redis, 300);

      // The database is away: nothing can be drained yet, and the old hashes answer.
      const first = await start({ DATABASE_URL: UNREACHABLE_DB });
      const read = await fetch(`${first.base}/get/${encodeURIComponent(`${P}7`)}`);
      expect(read.status).toBe(200);
      expect(await read.json()).toMatchObject({ value: "v7", version: written.get(`${P}7`)!.version });
      const incr = await fetch(`${first.base}/incr`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ key: `${P}ctr` }) });
      expect(await incr.json()).toMatchObject({ value: "42" }); // counted on from the old hash, not from 0
      expect((await set(first.base, `${P}new`, "after the upgrade")).status).toBe(200);
      first.proc.kill(9);
      await first.proc.exited;

      const second = await start();
      await waitFor("the old stream persisted and removed", async () => (await redis.exists(`${P}stream`)) === 0, 30_000);
      await waitFor("the new writes persisted", async () => {
        const [row] = await sql`SELECT value FROM writeback_kv WHERE key = ${`${P}ctr`}`.catch(() => []);
        return row?.value === "42";
      });
      const rows = await sql<{ key: string; value: string; version: string }[]>`SELECT key, value, version::text FROM writeback_kv WHERE key LIKE 'up:%'`;
      const byKey = new Map(rows.map((r) => [r.key, r]));
      for (const [key, w] of written) {
        if (key === `${P}ctr`) continue;
        expect(byKey.get(key)?.value).toBe(w.value);
        expect(Number(byKey.get(key)?.version)).toBe(w.version);
      }
      expect(byKey.get(`${P}new`)?.value).toBe("after the upgrade");
      const dead = (await (await fetch(`${second.base}/dead-letters`)).json()) as { deadLetters: { key: string; reason: string }[] };
      expect(dead.deadLetters.map((d) => d.key)).toEqual([`${P}poison`]);
      expect(await redis.exists(`${P}dead`)).toBe(0);
      expect(await redis.hget(`${P}meta`, "partitions")).toBe("16");
    } finally {
      redis.disconnect();
      await sql.end();
    }
  });

  test("a partition count other than the one the data was written with is refused (exit 2, naming STREAM_PARTITIONS); after the documented reset it starts", async () => {
    s.redis = await PrivateRedis.start();
    const a = await start();
    expect((await set(a.base, "k", "v")).status).toBe(200);
    // docs/scaling.md, step 1: the backlog drained (a SIGTERM before the flusher threads started
    // would leave the write in partition 13's stream, which 4 partitions never read: refused).
    await waitFor("k persisted", async () => ((await (await fetch(`${a.base}/status/k`)).json()) as { dirty: boolean }).dirty === false);
    a.proc.kill("SIGTERM");
    expect(await a.proc.exited).toBe(0);
    const refused = await start({ STREAM_PARTITIONS: "4" }).catch((e: Error) => e);
    expect(refused).toBeInstanceOf(Error);
    expect(String(refused)).toContain("STREAM_PARTITIONS");
    expect(String(refused)).toContain("exit 2");
    // docs/scaling.md: with every instance stopped (the backlog drained on SIGTERM), delete the record.
    const redis = new Redis(s.redis.url);
    await redis.del(`${P}meta`);
    redis.disconnect();
    const b = await start({ STREAM_PARTITIONS: "4" });
    expect((await set(b.base, "k", "v2")).status).toBe(200);
  });
});
