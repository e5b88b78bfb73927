// Scale-out costs on one Redis (issue 13): 16 partitions against 1 (the partitioned layout must
// not cost more than 10 % where one Redis is all there is), 2 instances against 1, and what
// REDIS_WAIT_REPLICAS=1 costs with a replica attached. Each
// pair is measured interleaved, the order swapped every round, each run on an empty Redis and
// table.
import { keys } from "../../src/keys";
import { PrivateRedis } from "../../src/testing/services";
import type { BenchEnv, System } from "../lib/env";
import { spread, type Spread } from "../lib/stats";
import { wrk } from "../lib/wrk";
import type { Params } from "../params";

export interface PairResult {
  a: Spread;
  b: Spread;
  /** a ÷ b, paired round by round */
  ratio: Spread;
}

const pair = (a: number[], b: number[]): PairResult => ({ a: spread(a), b: spread(b), ratio: spread(a.map((x, i) => x / b[i]!)) });

async function peak(systems: System[], p: Params, run: string): Promise<number> {
  // The connections shared out over the instances, all loaded at once.
  const each = Math.floor(p.connections / systems.length);
  const results = await Promise.all(
    systems.map((s, i) => wrk({ url: s.base, seconds: p.roundSeconds, connections: each, threads: 1, runId: `${run}-${i}` })),
  );
  return results.reduce((sum, r) => sum + r.rps, 0);
}

async function fresh(env: BenchEnv): Promise<void> {
  await env.client.flushall();
  await env.truncate();
  await env.settle();
}

/** POST /set peak and the drain of p.drainWrites entries, with STREAM_PARTITIONS=16 against 1. */
export async function partitions(env: BenchEnv, p: Params, log: (m: string) => void): Promise<{ write: PairResult; drain: PairResult }> {
  const rps: Record<number, number[]> = { 16: [], 1: [] };
  const drain: Record<number, number[]> = { 16: [], 1: [] };
  for (let r = 0; r < p.rounds; r++) {
    for (const P of r % 2 ? [1, 16] : [16, 1]) {
      await fresh(env);
      const wb = await env.startWriteback({ STREAM_PARTITIONS: String(P) });
      await wrk({ url: wb.base, seconds: p.warmSeconds, connections: p.connections, threads: 1, runId: `pw${r}-${P}` });
      const rate = await peak([wb], p, `p${r}-${P}`);
      await env.waitDrained(600_000, keys("wb:", P));
      await wb.stop();
      rps[P]!.push(rate);
      log(`  ${P} partition(s): ${rate.toFixed(0)} writes/s`);
    }
  }
  for (let r = 0; r < p.drainRounds; r++) {
    for (const P of r % 2 ? [1, 16] : [16, 1]) {
      await fresh(env);
      const k = keys("wb:", P);
      await env.fill(p.drainWrites, (i) => `pd${r}:${i}`, undefined, k);
      await env.settle();
      const wb = await env.startWriteback({ STREAM_PARTITIONS: String(P) });
      const t0 = performance.now();
      const remaining = await env.backlog(k);
      await env.waitDrained(600_000, k);
      const rate = remaining / ((performance.now() - t0) / 1000);
      await wb.stop();
      drain[P]!.push(rate);
      log(`  ${P} partition(s): drain ${rate.toFixed(0)} entries/s`);
    }
  }
  return { write: pair(rps[16]!, rps[1]!), drain: pair(drain[16]!, drain[1]!) };
}

/** POST /set peak (the connections split over the instances) and the drain, 2 instances against 1, on one Redis and one database. */
export async function instances(env: BenchEnv, p: Params, log: (m: string) => void): Promise<{ write: PairResult; drain: PairResult }> {
  const rps: Record<number, number[]> = { 2: [], 1: [] };
  const drain: Record<number, number[]> = { 2: [], 1: [] };
  const start = async (n: number) => Promise.all(Array.from({ length: n }, (_, i) => env.startWriteback({}, `writeback-${i}`)));
  for (let r = 0; r < p.rounds; r++) {
    for (const n of r % 2 ? [1, 2] : [2, 1]) {
      await fresh(env);
      const wbs = await start(n);
      await peak(wbs, { ...p, roundSeconds: p.warmSeconds }, `iw${r}-${n}`);
      const rate = await peak(wbs, p, `i${r}-${n}`);
      await env.waitDrained();
      for (const wb of wbs) await wb.stop();
      rps[n]!.push(rate);
      log(`  ${n} instance(s): ${rate.toFixed(0)} writes/s`);
    }
  }
  for (let r = 0; r < p.drainRounds; r++) {
    for (const n of r % 2 ? [1, 2] : [2, 1]) {
      await fresh(env);
      await env.fill(p.drainWrites, (i) => `id${r}:${i}`);
      await env.settle();
      const wbs = await start(n);
      const t0 = performance.now();
      const remaining = await env.backlog();
      await env.waitDrained();
      const rate = remaining / ((performance.now() - t0) / 1000);
      for (const wb of wbs) await wb.stop();
      drain[n]!.push(rate);
      log(`  ${n} instance(s): drain ${rate.toFixed(0)} entries/s`);
    }
  }
  return { write: pair(rps[2]!, rps[1]!), drain: pair(drain[2]!, drain[1]!) };
}

/** POST /set peak and its p99 with REDIS_WAIT_REPLICAS=1 against 0, with one replica of the bench Redis attached. */
export async function waitCost(env: BenchEnv, p: Params, log: (m: string) => void): Promise<{ write: PairResult; p99: PairResult }> {
  const replica = await PrivateRedis.start(["--replicaof", "127.0.0.1", String(env.redis.port), "--appendonly", "no"]);
  const rps: Record<string, number[]> = { "1": [], "0": [] };
  const p99: Record<string, number[]> = { "1": [], "0": [] };
  try {
    for (let r = 0; r < p.rounds; r++) {
      for (const w of r % 2 ? ["0", "1"] : ["1", "0"]) {
        await fresh(env);
        while (!/slave0:.*state=online/.test(await env.client.info("replication"))) await Bun.sleep(100);
        const wb = await env.startWriteback({ REDIS_WAIT_REPLICAS: w });
        await wrk({ url: wb.base, seconds: p.warmSeconds, connections: p.connections, threads: 1, runId: `ww${r}-${w}` });
        const res = await wrk({ url: wb.base, seconds: p.roundSeconds, connections: p.connections, threads: 1, runId: `w${r}-${w}` });
        await env.waitDrained();
        await wb.stop();
        rps[w]!.push(res.rps);
        p99[w]!.push(res.p99Ms);
        log(`  REDIS_WAIT_REPLICAS=${w}: ${res.rps.toFixed(0)} writes/s, p99 ${res.p99Ms.toFixed(1)} ms${res.errors + res.non2xx ? `, ${res.errors + res.non2xx} failed` : ""}`);
      }
    }
  } finally {
    await replica.stop();
  }
  return { write: pair(rps["1"]!, rps["0"]!), p99: pair(p99["1"]!, p99["0"]!) };
}
