// Peak write throughput, closed loop (wrk), against the baselines in the same run:
// A, B-http, B-naive, B-redis, A, B-http, ... so that drift on a shared machine hits all alike.
import { DEFINED } from "../../src/cache/scripts";
import { BenchEnv, type System } from "../lib/env";
import { sampleMaxRss } from "../lib/procfs";
import { redisBenchmark } from "../lib/redis-benchmark";
import { spread, type Spread } from "../lib/stats";
import { wrk } from "../lib/wrk";
import type { Params } from "../params";

export interface ThroughputResult {
  writeback: Spread;
  /** writeback ÷ baseline, paired round by round (the point of interleaving) */
  ratio: { http: Spread; naive: Spread; redis: Spread };
  http: Spread;
  naive: Spread;
  redis: Spread;
  /** CPU microseconds per write, by process, writeback rounds only (flushing included) */
  cpuPerWrite: Record<string, number>;
  maxRssBytes: number;
  errors: number;
}

export async function throughput(
  env: BenchEnv,
  p: Params,
  s: { writeback: System; http: System; naive: System },
  log: (m: string) => void,
): Promise<ThroughputResult> {
  // The write script as the service runs it: assembled with its includes (scripts.ts).
  const sha = (await env.client.script("LOAD", DEFINED.wbSet.lua)) as string;
  const rps: Record<"writeback" | "http" | "naive" | "redis", number[]> = {
    writeback: [],
    http: [],
    naive: [],
    redis: [],
  };
  const cpu: Record<string, number> = {};
  let writes = 0;
  let errors = 0;
  let maxRss = 0;
  let redisRequests = 50_000;
  let run = 0;

  const meter = env.cpuMeter(s.writeback.pid);

  const http = async (sys: System, seconds: number) =>
    wrk({
      url: sys.base,
      seconds,
      connections: p.connections,
      threads: 1,
      runId: `${sys.name}-${Date.now()}-${run++}`,
    });

  const round = async (seconds: number, record: boolean) => {
    // writeback: measured through the drain that follows, so flushing is in the CPU figures.
    meter.start();
    const rss = sampleMaxRss(s.writeback.pid);
    const a = await http(s.writeback, seconds);
    maxRss = Math.max(maxRss, rss.stop());
    await env.waitDrained();
    const used = meter.stop();
    if (record) {
      rps.writeback.push(a.rps);
      writes += a.requests;
      errors += a.errors + a.non2xx;
      for (const [k, v] of Object.entries({ ...used, wrk: a.cpuUs })) cpu[k] = (cpu[k] ?? 0) + v;
    }
    const h = await http(s.http, seconds);
    const n = await http(s.naive, seconds);
    const r = await redisBenchmark({
      port: env.redis.port,
      sha,
      connections: p.connections,
      requests: redisRequests,
      prefix: "bredis:",
    });
    redisRequests = Math.max(10_000, Math.round(r.rps * seconds)); // aim the next run at `seconds`
    await env.client.del("bredis:stream", "naive:stream");
    if (record) {
      rps.http.push(h.rps);
      rps.naive.push(n.rps);
      rps.redis.push(r.rps);
      errors += h.errors + h.non2xx + n.errors + n.non2xx;
    }
    log(
      `  writeback ${a.rps.toFixed(0)}/s  B-http ${h.rps.toFixed(0)}/s  B-naive ${n.rps.toFixed(0)}/s  B-redis ${r.rps.toFixed(0)}/s${record ? "" : "  (warm-up)"}`,
    );
  };

  await round(p.warmSeconds, false);
  for (let i = 0; i < p.rounds; i++) await round(p.roundSeconds, true);

  const cpuPerWrite: Record<string, number> = {};
  for (const [k, v] of Object.entries(cpu)) cpuPerWrite[k] = v / writes;
  const paired = (b: number[]) => spread(b.map((x, i) => rps.writeback[i]! / x));
  return {
    writeback: spread(rps.writeback),
    ratio: { http: paired(rps.http), naive: paired(rps.naive), redis: paired(rps.redis) },
    http: spread(rps.http),
    naive: spread(rps.naive),
    redis: spread(rps.redis),
    cpuPerWrite,
    maxRssBytes: maxRss,
    errors,
  };
}
