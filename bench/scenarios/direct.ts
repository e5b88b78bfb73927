// writeback against B-direct (write-through into Postgres), closed loop at 64 connections,
// interleaved round by round: distinct keys, and 100 hot keys (row-lock contention for
// B-direct, coalescing for writeback). Each writeback round is followed by its drain, so the
// flushing is paid inside the comparison. Each run starts once the previous one's background
// work is done (a CHECKPOINT, no AOF rewrite running: env.settle), and the order swaps every
// round, so neither side is charged the other's leftovers. B-direct still slows over a run
// (9.3k/s in the first round of 2026-11-26, 3.2k/s in the last; 9.3k to 6.3k/s with the
// CHECKPOINT alone), and writeback less, so the paired ratios grow in later rounds.
import { constantLoad } from "../lib/constant";
import type { BenchEnv, System } from "../lib/env";
import { spread, type Spread } from "../lib/stats";
import { wrk } from "../lib/wrk";
import type { Params } from "../params";

export const DIRECT_CONNECTIONS = 64;

export interface DirectResult {
  distinct: { writeback: Spread; direct: Spread; ratio: Spread };
  hot: { writeback: Spread; direct: Spread; ratio: Spread };
  /** p99 (ms) of each at one constant rate, half of B-direct's peak with distinct keys */
  latency: { rate: number; writeback: Spread; direct: Spread; ratio: Spread };
}

export async function versusDirect(env: BenchEnv, p: Params, s: { writeback: System; direct: System }, log: (m: string) => void): Promise<DirectResult> {
  let run = 0;
  const go = (sys: System, seconds: number, keyspace: number) =>
    wrk({ url: sys.base, seconds, connections: DIRECT_CONNECTIONS, threads: 1, runId: `${sys.name}-${Date.now()}-${run++}`, keyspace });
  const out = { distinct: { wb: [] as number[], d: [] as number[] }, hot: { wb: [] as number[], d: [] as number[] } };
  for (let i = 0; i <= p.rounds; i++) {
    const record = i > 0; // the first round warms up
    const seconds = record ? p.roundSeconds : p.warmSeconds;
    for (const [kind, keyspace] of [["distinct", 0], ["hot", 100]] as const) {
      const runWriteback = async () => {
        await env.settle();
        const r = await go(s.writeback, seconds, keyspace);
        await env.waitDrained();
        return r;
      };
      const runDirect = async () => {
        await env.settle();
        return go(s.direct, seconds, keyspace);
      };
      let a, b;
      if (i % 2 === 0) {
        a = await runWriteback();
        b = await runDirect();
      } else {
        b = await runDirect();
        a = await runWriteback();
      }
      if (record) {
        out[kind].wb.push(a.rps);
        out[kind].d.push(b.rps);
      }
      log(`  ${kind}: writeback ${a.rps.toFixed(0)}/s  B-direct ${b.rps.toFixed(0)}/s${record ? "" : "  (warm-up)"}`);
    }
  }
  const pair = (x: { wb: number[]; d: number[] }) => ({ writeback: spread(x.wb), direct: spread(x.d), ratio: spread(x.wb.map((w, i) => w / x.d[i]!)) });

  // Latency at the same offered rate for both: half of what B-direct peaked at. Open loop,
  // so a stall shows in the tail instead of slowing the generator; order swapped every round.
  const rate = Math.round(spread(out.distinct.d).median / 2);
  const lat = { wb: [] as number[], d: [] as number[] };
  for (let i = 0; i < p.rounds; i++) {
    const once = async (sys: System) => {
      await env.settle();
      const r = await constantLoad({ port: sys.port, rate, seconds: p.roundSeconds, runId: `${sys.name}-lat-${Date.now()}-${run++}` });
      await env.waitDrained();
      return r.p99;
    };
    const [first, second] = i % 2 === 0 ? [s.writeback, s.direct] : [s.direct, s.writeback];
    const a = await once(first);
    const b = await once(second);
    const [w, d] = first === s.writeback ? [a, b] : [b, a];
    lat.wb.push(w);
    lat.d.push(d);
    log(`  p99 at ${rate}/s (half of B-direct's peak): writeback ${w.toFixed(1)} ms  B-direct ${d.toFixed(1)} ms`);
  }
  return { distinct: pair(out.distinct), hot: pair(out.hot), latency: { rate, ...pair(lat) } };
}
