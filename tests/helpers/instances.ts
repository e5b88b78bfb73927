// The several-instances scenario, run on one Redis (process-instances.test.ts) and on a Redis
// Cluster (process-cluster.test.ts): three instances under load, one killed, one paused past
// the claim idle time and resumed; nothing acknowledged is lost and no version in the
// database ever goes down.
import { expect } from "bun:test";
import postgres from "postgres";
import type { Running } from "../../src/testing/process";
import { waitFor } from "../../src/testing/process";
import { Checker } from "./checker";

/** Polls the database's versions while `running()`; returns the keys whose version ever went down. */
export async function watchVersions(dbUrl: string, running: () => boolean): Promise<string[]> {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  const seen = new Map<string, number>();
  const down = new Set<string>();
  try {
    while (running()) {
      const rows = await sql.unsafe<{ key: string; version: string }[]>("SELECT key, version::text FROM writeback_kv").catch(() => []);
      for (const r of rows) {
        const v = Number(r.version);
        if (v < (seen.get(r.key) ?? 0)) down.add(r.key);
        seen.set(r.key, Math.max(v, seen.get(r.key) ?? 0));
      }
      await Bun.sleep(50);
    }
  } finally {
    await sql.end();
  }
  return [...down];
}

/** Starts three instances with `start(env)` and runs the scenario against `dbUrl`. */
export async function threeInstances(start: (env: Record<string, string>) => Promise<Running>, dbUrl: string, bytes: number): Promise<void> {
  const env = { FLUSH_CLAIM_IDLE_MS: "2000", FLUSH_CLAIM_INTERVAL_MS: "500" };
  const [a, b, c] = [await start(env), await start(env), await start(env)];
  const check = new Checker(bytes);
  let stop = false;
  let watching = true;
  const versionsDown = watchVersions(dbUrl, () => watching);
  // Writers spread over all three, on 300 keys, so every key is overwritten through every instance.
  const load = Promise.all([a, b, c].map((r) => check.load(r.base, 300, () => stop, 4)));
  await Bun.sleep(1500);
  a.proc.kill(9);
  await Bun.sleep(500);
  b.proc.kill("SIGSTOP");
  await Bun.sleep(5000); // past FLUSH_CLAIM_IDLE_MS + FLUSH_CLAIM_INTERVAL_MS: c reclaims what a and b held
  b.proc.kill("SIGCONT");
  await Bun.sleep(1500);
  stop = true;
  await load;
  try {
    await waitFor("every acknowledged write persisted", async () => (await check.missing(dbUrl)).length === 0, 30_000);
  } finally {
    watching = false;
  }
  expect(await versionsDown).toEqual([]);
  expect(check.acked.size).toBeGreaterThan(200);
  expect(c.proc.exitCode).toBeNull();
}
