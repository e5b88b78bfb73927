// The API figures beside POST /set (issues 10 and 11), each against B-http in the same run:
// cache-hit reads (GET /get of 1,000 keys written beforehand), /incr on 100 hot keys, /mset of
// 100-item batches (in writes per second); and what Redis holds after 10x its maxmemory of
// distinct keys went through a volatile-lru Redis.
import { connect } from "../../src/cache/redis";
import { startService } from "../../src/testing/process";
import { PrivateRedis } from "../../src/testing/services";
import { BINARY, type BenchEnv, type System } from "../lib/env";
import { spread, type Spread } from "../lib/stats";
import { wrk } from "../lib/wrk";
import type { Params } from "../params";

export interface ApiResult {
  reads: { writeback: Spread; http: Spread; ratio: Spread };
  incr: { writeback: Spread; ratio: Spread };
  mset: { writesPerSecond: Spread; ratio: Spread };
  set: Spread;
  http: Spread;
}

export async function api(env: BenchEnv, p: Params, s: { writeback: System; http: System }, log: (m: string) => void): Promise<ApiResult> {
  let run = 0;
  const go = (sys: System, seconds: number, o: { mode?: "get" | "incr" | "mset"; keyspace?: number; batch?: number } = {}) =>
    wrk({ url: sys.base, seconds, connections: p.connections, threads: 1, runId: `api-${Date.now()}-${run++}`, ...o });
  // 1,000 keys to read: in the cache (and the database) before the read rounds.
  for (let i = 0; i < 1000; i += 100) {
    await fetch(`${s.writeback.base}/mset`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ items: Array.from({ length: 100 }, (_, j) => ({ key: `hot:${i + j}`, value: "x".repeat(32) })) }),
    });
  }
  await env.waitDrained();
  const r = { reads: [] as number[], readsHttp: [] as number[], incr: [] as number[], mset: [] as number[], set: [] as number[], http: [] as number[] };
  for (let i = 0; i <= p.rounds; i++) {
    const record = i > 0;
    const sec = record ? p.roundSeconds : p.warmSeconds;
    const reads = await go(s.writeback, sec, { mode: "get", keyspace: 1000 });
    const readsHttp = await go(s.http, sec, { mode: "get", keyspace: 1000 });
    const incr = await go(s.writeback, sec, { mode: "incr", keyspace: 100 });
    await env.waitDrained();
    const mset = await go(s.writeback, sec, { mode: "mset", batch: 100 });
    await env.waitDrained();
    const set = await go(s.writeback, sec);
    await env.waitDrained();
    const http = await go(s.http, sec);
    if (record) {
      r.reads.push(reads.rps);
      r.readsHttp.push(readsHttp.rps);
      r.incr.push(incr.rps);
      r.mset.push(mset.rps * 100);
      r.set.push(set.rps);
      r.http.push(http.rps);
    }
    log(
      `  GET ${reads.rps.toFixed(0)}/s (B-http ${readsHttp.rps.toFixed(0)}/s)  /incr ${incr.rps.toFixed(0)}/s  /mset ${(mset.rps * 100).toFixed(0)} writes/s  /set ${set.rps.toFixed(0)}/s  B-http ${http.rps.toFixed(0)}/s${record ? "" : "  (warm-up)"}`,
    );
  }
  const ratio = (a: number[], b: number[]) => spread(a.map((x, i) => x / b[i]!));
  return {
    reads: { writeback: spread(r.reads), http: spread(r.readsHttp), ratio: ratio(r.reads, r.readsHttp) },
    incr: { writeback: spread(r.incr), ratio: ratio(r.incr, r.http) },
    mset: { writesPerSecond: spread(r.mset), ratio: ratio(r.mset, r.http) },
    set: spread(r.set),
    http: spread(r.http),
  };
}

export interface MemoryResult {
  maxmemory: number;
  written: number;
  peakCounted: number;
  evicted: number;
}

/** 10x maxmemory of distinct keys through the binary on a volatile-lru Redis of its own. */
export async function memoryUnderEviction(env: BenchEnv, log: (m: string) => void): Promise<MemoryResult> {
  const maxmemory = 32 * 1024 * 1024;
  const redis = await PrivateRedis.start(["--maxmemory", String(maxmemory), "--maxmemory-policy", "volatile-lru", "--appendfsync", "everysec"]);
  const client = connect(redis.url, "flusher", 10_000);
  const wb = await startService({ REDIS_URL: redis.url, DATABASE_URL: env.dbUrl, KEY_PREFIX: "wb:", MAX_BACKLOG: "3000", LOG_LEVEL: "error" }, { cmd: [BINARY] });
  const value = "m".repeat(4000);
  let peak = 0;
  const sampler = setInterval(async () => {
    const info = (await client.info("memory").catch(() => "")) as string;
    const f = (n: string) => Number(new RegExp(`^${n}:(\\d+)`, "m").exec(info)?.[1] ?? 0);
    peak = Math.max(peak, f("used_memory") - f("mem_not_counted_for_evict"));
  }, 100);
  let next = 0;
  const keys = Math.ceil((10 * maxmemory) / value.length);
  try {
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < keys) {
          const body = JSON.stringify({ key: `mem:${next++}`, value });
          for (;;) {
            const r = await fetch(`${wb.base}/set`, { method: "POST", headers: { "content-type": "application/json" }, body });
            await r.body?.cancel();
            if (r.status === 200) break;
            await Bun.sleep(10);
          }
        }
      }),
    );
    const evicted = Number(/evicted_keys:(\d+)/.exec(await client.info("stats"))?.[1] ?? 0);
    log(`  ${keys} writes of ${value.length} bytes: peak ${(peak / 1048576).toFixed(1)} MiB counted against maxmemory, ${evicted} evicted`);
    return { maxmemory, written: keys * value.length, peakCounted: peak, evicted };
  } finally {
    clearInterval(sampler);
    wb.proc.kill("SIGTERM");
    await wb.proc.exited;
    client.disconnect();
    await redis.stop();
  }
}
