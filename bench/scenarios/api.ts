// The API figures beside POST /set (issues 10 and 11), each against B-http in the same run:
// cache-hit reads (GET /get of 1,000 keys written beforehand), /incr on 100 hot keys, /mset of
// 100-item batches (in writes per second); and what Redis holds after 10x its maxmemory of
// distinct keys went through a volatile-lru Redis. Two figures of the cost of a feature to the
// writes that do not use it: POST /set beside 1,000/s of writes that wait for the database
// (?wait=persisted) against beside 1,000/s of the same writes not waiting; and POST /set on a
// writeback serving the OpenAPI document against one started with OPENAPI=false.
import { connect } from "../../src/cache/redis";
import { startService } from "../../src/testing/process";
import { PrivateRedis } from "../../src/testing/services";
import { BINARY, type BenchEnv, type System } from "../lib/env";
import { constantLoad } from "../lib/constant";
import { spread, type Spread } from "../lib/stats";
import { wrk } from "../lib/wrk";
import type { Params } from "../params";

export interface ApiResult {
  reads: { writeback: Spread; http: Spread; ratio: Spread };
  incr: { writeback: Spread; ratio: Spread };
  mset: { writesPerSecond: Spread; ratio: Spread };
  set: Spread;
  http: Spread;
  /** POST /set with the OpenAPI plugin against without (OPENAPI=false) */
  docs: { with: Spread; without: Spread; ratio: Spread };
  /** POST /set beside waiting writers against beside the same writers not waiting */
  waiting: { beside: Spread; besidePlain: Spread; ratio: Spread; waiterP50Ms: Spread; waiterP99Ms: Spread; waiterRate: number;
    /** POST /set at half its peak beside the same two side loads: its p99 */
    halfRate: number; othersP99Ms: Spread; othersP99PlainMs: Spread; p99Ratio: Spread };
}

/** Rate of the side writers of the waiting figure: a few per cent of the peak, all waiting. */
const WAITER_RATE = 1000;

export async function api(env: BenchEnv, p: Params, s: { writeback: System; http: System; noDocs: System }, log: (m: string) => void): Promise<ApiResult> {
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
  const w = {
    noDocs: [] as number[],
    docs: [] as number[],
    beside: [] as number[],
    besidePlain: [] as number[],
    p50: [] as number[],
    p99: [] as number[],
    othersP99: [] as number[],
    othersP99Plain: [] as number[],
  };
  // Another client sends WAITER_RATE writes a second to `path` while `others` runs.
  const beside = async <T>(sec: number, path: string, others: () => Promise<T>) => {
    const [set, side] = await Promise.all([
      others(),
      constantLoad({ port: s.writeback.port, rate: WAITER_RATE, seconds: sec, runId: `side-${Date.now()}-${run++}`, path }),
    ]);
    if (side.non2xx + side.errors > 0) log(`  side writers: ${side.non2xx} non-2xx, ${side.errors} errors`);
    await env.waitDrained();
    return { set, side };
  };
  // A pair measured back to back, the order swapped every round so neither always goes first.
  const pair = async <A, B>(i: number, a: () => Promise<A>, b: () => Promise<B>): Promise<[A, B]> => {
    if (i % 2 === 0) {
      const x = await a();
      return [x, await b()];
    }
    const y = await b();
    return [await a(), y];
  };
  const drained = async <T>(f: () => Promise<T>) => {
    const x = await f();
    await env.waitDrained();
    return x;
  };
  let halfRate = 0;
  for (let i = 0; i <= p.rounds; i++) {
    const record = i > 0;
    const sec = record ? p.roundSeconds : p.warmSeconds;
    const reads = await go(s.writeback, sec, { mode: "get", keyspace: 1000 });
    const readsHttp = await go(s.http, sec, { mode: "get", keyspace: 1000 });
    const incr = await drained(() => go(s.writeback, sec, { mode: "incr", keyspace: 100 }));
    const mset = await drained(() => go(s.writeback, sec, { mode: "mset", batch: 100 }));
    const set = await drained(() => go(s.writeback, sec));
    const http = await go(s.http, sec);
    // POST /set on writeback with and without the OpenAPI document.
    const [docs, noDocs] = await pair(i, () => drained(() => go(s.writeback, sec)), () => drained(() => go(s.noDocs, sec)));
    if (!record) halfRate = set.rps / 2;
    // Peak: POST /set flat out beside the waiting writes, and beside the same writes not waiting.
    const [waiting, plain] = await pair(
      i,
      () => beside(sec, "/set?wait=persisted", () => go(s.writeback, sec)),
      () => beside(sec, "/set", () => go(s.writeback, sec)),
    );
    // Latency: POST /set at half of writeback's peak (of the warm-up), beside the same two.
    const others = () => constantLoad({ port: s.writeback.port, rate: halfRate, seconds: sec, runId: `half-${Date.now()}-${run++}` });
    const [waitingHalf, plainHalf] = await pair(i, () => beside(sec, "/set?wait=persisted", others), () => beside(sec, "/set", others));
    if (record) {
      r.reads.push(reads.rps);
      r.readsHttp.push(readsHttp.rps);
      r.incr.push(incr.rps);
      r.mset.push(mset.rps * 100);
      r.set.push(set.rps);
      r.http.push(http.rps);
      w.docs.push(docs.rps);
      w.noDocs.push(noDocs.rps);
      w.beside.push(waiting.set.rps);
      w.besidePlain.push(plain.set.rps);
      w.p50.push(waiting.side.p50);
      w.p99.push(waiting.side.p99);
      w.othersP99.push(waitingHalf.set.p99);
      w.othersP99Plain.push(plainHalf.set.p99);
    }
    log(
      `  GET ${reads.rps.toFixed(0)}/s (B-http ${readsHttp.rps.toFixed(0)}/s)  /incr ${incr.rps.toFixed(0)}/s  /mset ${(mset.rps * 100).toFixed(0)} writes/s  /set ${set.rps.toFixed(0)}/s  B-http ${http.rps.toFixed(0)}/s${record ? "" : "  (warm-up)"}`,
    );
    log(
      `  /set ${docs.rps.toFixed(0)}/s, with OPENAPI=false ${noDocs.rps.toFixed(0)}/s;  /set beside ${WAITER_RATE}/s waiting writes ${waiting.set.rps.toFixed(0)}/s (the waiters: p50 ${waiting.side.p50.toFixed(0)} ms, p99 ${waiting.side.p99.toFixed(0)} ms), beside the same not waiting ${plain.set.rps.toFixed(0)}/s;` +
        `  at ${halfRate.toFixed(0)}/s: p99 ${waitingHalf.set.p99.toFixed(1)} ms beside waiting writes, ${plainHalf.set.p99.toFixed(1)} ms beside the same not waiting`,
    );
  }
  const ratio = (a: number[], b: number[]) => spread(a.map((x, i) => x / b[i]!));
  return {
    reads: { writeback: spread(r.reads), http: spread(r.readsHttp), ratio: ratio(r.reads, r.readsHttp) },
    incr: { writeback: spread(r.incr), ratio: ratio(r.incr, r.http) },
    mset: { writesPerSecond: spread(r.mset), ratio: ratio(r.mset, r.http) },
    set: spread(r.set),
    http: spread(r.http),
    docs: { with: spread(w.docs), without: spread(w.noDocs), ratio: ratio(w.docs, w.noDocs) },
    waiting: {
      beside: spread(w.beside),
      besidePlain: spread(w.besidePlain),
      ratio: ratio(w.beside, w.besidePlain),
      waiterP50Ms: spread(w.p50),
      waiterP99Ms: spread(w.p99),
      waiterRate: WAITER_RATE,
      halfRate,
      othersP99Ms: spread(w.othersP99),
      othersP99PlainMs: spread(w.othersP99Plain),
      p99Ratio: ratio(w.othersP99, w.othersP99Plain),
    },
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
