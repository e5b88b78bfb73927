// Constant-arrival figures: latency at half of peak, the highest rate the flusher sustains
// with a flat backlog, and how long a write takes to reach Postgres at half of that.
import { constantLoad, type ConstantResult } from "../lib/constant";
import type { BenchEnv, System } from "../lib/env";
import { histDelta, scrape } from "../lib/scrape";
import { histogramPercentile, slope } from "../lib/stats";
import type { Params } from "../params";

let run = 0;
const runId = (what: string) => `${what}-${Date.now()}-${run++}`;

/** A fresh writeback, warmed up at `rate` (JIT, connections), drained, then handed to `fn`. */
async function fresh<T>(env: BenchEnv, p: Params, rate: number, fn: (wb: System) => Promise<T>): Promise<T> {
  const wb = await env.freshWriteback();
  try {
    await constantLoad({ port: wb.port, rate, seconds: p.warmSeconds, runId: runId("warm") });
    await env.waitDrained();
    return await fn(wb);
  } finally {
    await wb.stop();
  }
}

export interface LatencyResult extends ConstantResult {
  /** p99 of the server's own time per write (writeback_write_seconds), ms */
  serverP99: number;
  /** share of writes slower than each bound, as the client saw them and as the server timed them */
  tailShares: { boundMs: number; client: number; server: number }[];
}

export async function latencyAt(env: BenchEnv, p: Params, rate: number): Promise<LatencyResult> {
  return fresh(env, p, rate, async (wb) => {
    const before = await scrape(wb.base);
    const r = await constantLoad({ port: wb.port, rate, seconds: p.latencySeconds, runId: runId("lat") });
    const h = histDelta(before, await scrape(wb.base), "writeback_write_seconds");
    await env.waitDrained();
    const tailShares = r.tail.boundsMs.map((boundMs, i) => {
      const b = h.bounds.findIndex((x) => Math.abs(x * 1000 - boundMs) < 1e-9);
      return { boundMs, client: r.tail.over[i]! / Math.max(1, r.completed), server: b < 0 ? NaN : (h.count - h.cumulative[b]!) / Math.max(1, h.count) };
    });
    return { ...r, serverP99: 1000 * histogramPercentile(h.bounds, h.cumulative, h.count, 99), tailShares };
  });
}

export interface SustainLevel {
  rate: number;
  achieved: number;
  growthPerSecond: number;
  /** most entries waiting at any sample in the second half */
  maxBacklog: number;
  flat: boolean;
}

/**
 * One constant-rate run with the backlog (XLEN) sampled every 250 ms. Flat: every request
 * answered 2xx, the generator kept its rate, and over the second half of the run the backlog
 * grew by less than 1 % of the arrival rate (least-squares slope) and never held more than 2 s
 * of arrivals. XLEN is an upper bound of what is unpersisted (entries acknowledged behind an
 * older pending batch are trimmed later), so its level says less than its trend.
 */
export async function sustainLevel(env: BenchEnv, p: Params, rate: number): Promise<SustainLevel> {
  return fresh(env, p, rate, (wb) => measureLevel(env, p, wb, rate));
}

async function measureLevel(env: BenchEnv, p: Params, wb: System, rate: number): Promise<SustainLevel> {
  const level = await runLevel(wb.port, rate, p.sustainSeconds, () => env.backlog(), runId("sus"));
  await env.waitDrained();
  return level;
}

/** POST /set at `rate` for `seconds` with the backlog sampled every 250 ms, judged by judgeLevel over the second half. */
export async function runLevel(port: number, rate: number, seconds: number, backlogOf: () => Promise<number>, id: string): Promise<SustainLevel> {
  const t: number[] = [];
  const backlog: number[] = [];
  const started = performance.now();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      t.push((performance.now() - started) / 1000);
      backlog.push(await backlogOf());
      await Bun.sleep(250);
    }
  })();
  const r = await constantLoad({ port, rate, seconds, runId: id });
  sampling = false;
  await sampler;
  const half = Math.max(
    0,
    t.findIndex((x) => x >= seconds / 2),
  );
  return judgeLevel(rate, r, t.slice(half), backlog.slice(half));
}

/** The flatness rule of a sustained level, from the backlog samples of the run's second half. */
function judgeLevel(rate: number, r: ConstantResult, t: number[], backlog: number[]): SustainLevel {
  const growth = backlog.length >= 3 ? slope(t, backlog) : NaN;
  const maxBacklog = Math.max(...backlog);
  const flat = r.ok === r.sent && r.achieved >= 0.97 * rate && growth <= 0.01 * rate && maxBacklog <= 2 * rate;
  return { rate, achieved: r.achieved, growthPerSecond: growth, maxBacklog, flat };
}

/** Tries 0.7 × peak first, then steps up (while flat) or down (until flat) by 0.1 × peak. */
export async function sustained(
  env: BenchEnv,
  p: Params,
  peak: number,
  log: (m: string) => void,
): Promise<{ rate: number; levels: SustainLevel[] }> {
  const levels: SustainLevel[] = [];
  const tryAt = async (f: number) => {
    const l = await sustainLevel(env, p, f * peak);
    levels.push(l);
    log(
      `  ${(f * 100).toFixed(0)}% of peak = ${l.rate.toFixed(0)}/s: achieved ${l.achieved.toFixed(0)}/s, backlog ≤ ${l.maxBacklog} (${l.growthPerSecond.toFixed(0)}/s), ${l.flat ? "flat" : "growing"}`,
    );
    return l.flat;
  };
  let f = 0.7;
  if (await tryAt(f)) {
    while (f < 1.25 && levels.length < p.sustainLevels && (await tryAt(f + 0.1))) f += 0.1;
    return { rate: f * peak, levels };
  }
  while (f > 0.15 && levels.length < p.sustainLevels) {
    f -= 0.1;
    if (await tryAt(f)) return { rate: f * peak, levels };
  }
  return { rate: 0, levels };
}

/** Write → committed in Postgres, from the flusher's own histogram, at a constant rate. */
export async function visibility(env: BenchEnv, p: Params, rate: number) {
  return fresh(env, p, rate, async (wb) => {
    const before = await scrape(wb.base);
    const r = await constantLoad({ port: wb.port, rate, seconds: p.visibleSeconds, runId: runId("vis") });
    await env.waitDrained();
    await Bun.sleep(600); // the threads report their histograms with their heartbeat
    const after = await scrape(wb.base);
    const h = histDelta(before, after, "writeback_persist_lag_seconds");
    return {
      rate,
      ok: r.ok,
      p50Ms: 1000 * histogramPercentile(h.bounds, h.cumulative, h.count, 50),
      p99Ms: 1000 * histogramPercentile(h.bounds, h.cumulative, h.count, 99),
    };
  });
}
