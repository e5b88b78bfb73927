// The API of issue 11 from a real process: increments survive kill -9, and write-and-wait is
// released by the process's own flusher threads.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import postgres from "postgres";
import { startService, waitFor } from "../src/testing/process";
import { PrivateRedis } from "../src/testing/services";
import { proxied } from "./helpers/proxy";
import { processSuite } from "./helpers/suite";

setDefaultTimeout(60_000);

const s = processSuite();

async function start(env: Record<string, string> = {}) {
  const r = await startService({ REDIS_URL: s.redis!.url, DATABASE_URL: s.dbUrl, KEY_PREFIX: "pa:", CONSUMER_NAME: "pa", FLUSH_BLOCK_MS: "100", ...env });
  s.running.push(r);
  return r;
}
const post = (base: string, path: string, body: unknown) =>
  fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("counters", () => {
  test("kill -9 under increment load: every acknowledged increment reaches Postgres after a restart", async () => {
    s.redis = await PrivateRedis.start();
    const first = await start();
    // The acknowledged value with the highest version per key: what Postgres must end on.
    const acked = new Map<string, { version: number; value: string }>();
    let stop = false;
    const load = Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let i = 0; !stop; i++) {
          const key = `k:${(w * 7 + i) % 20}`;
          const r = await post(first.base, "/incr", { key, by: (i % 5) - 1 }).catch(() => undefined);
          if (r?.status !== 200) continue;
          const { version, value } = (await r.json()) as { version: number; value: string };
          if ((acked.get(key)?.version ?? 0) < version) acked.set(key, { version, value });
        }
      }),
    );
    await waitFor("some increments", async () => acked.size >= 20);
    await Bun.sleep(300);
    first.proc.kill(9);
    stop = true;
    await load;
    await start(); // same consumer name: re-reads what the dead process left pending
    const sql = postgres(s.dbUrl, { max: 1, onnotice: () => {} });
    try {
      await waitFor("every acknowledged increment persisted", async () => {
        const rows = await sql.unsafe<{ key: string; value: string; version: string }[]>("SELECT key, value, version::text FROM writeback_kv").catch(() => []);
        const db = new Map(rows.map((r) => [r.key, r]));
        return [...acked].every(([k, a]) => {
          const row = db.get(k);
          return row !== undefined && (Number(row.version) > a.version || (Number(row.version) === a.version && row.value === a.value));
        });
      });
    } finally {
      await sql.end();
    }
  });
});

describe("write-and-wait", () => {
  test("?wait=persisted is released by this process's flusher threads, well before the database is polled", async () => {
    s.redis = await PrivateRedis.start();
    const svc = await start();
    await post(svc.base, "/set", { key: "warm", value: "x" }); // the schema exists, threads are live
    await Bun.sleep(300);
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      const r = await post(svc.base, "/set?wait=persisted", { key: `ww:${i}`, value: "v" });
      expect(r.status).toBe(200);
      expect(((await r.json()) as { persisted: boolean }).persisted).toBe(true);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    // The database is asked only for waiters older than 500 ms; the threads answer far sooner.
    expect(times[5]!).toBeLessThan(400);
  });

  test("under a Postgres cut: 202 with persisted: false at the timeout; persisted once Postgres is back", async () => {
    s.redis = await PrivateRedis.start();
    const { proxy, url } = proxied(s.dbUrl, 5432); // the Postgres TEST_PG_URL names
    try {
      const svc = await start({ DATABASE_URL: url, DB_STATEMENT_TIMEOUT_MS: "1000", FLUSH_RETRY_MAX_MS: "300" });
      await post(svc.base, "/set?wait=persisted", { key: "cut:0", value: "x" }); // the schema exists
      proxy.cut();
      const r = await post(svc.base, "/set?wait=persisted&timeout_ms=700", { key: "cut:1", value: "v" });
      expect(r.status).toBe(202);
      const { version, persisted } = (await r.json()) as { version: number; persisted: boolean };
      expect(persisted).toBe(false);
      proxy.restore();
      const again = await post(svc.base, "/set?wait=persisted&timeout_ms=20000", { key: "cut:2", value: "w" });
      expect(((await again.json()) as { persisted: boolean }).persisted).toBe(true);
      await waitFor("the write that timed out persisted", async () => {
        const st = (await (await fetch(`${svc.base}/status/cut:1`)).json()) as { persistedVersion: number; dirty: boolean };
        return st.persistedVersion === version && !st.dirty;
      });
    } finally {
      proxy.stop();
    }
  });
});
