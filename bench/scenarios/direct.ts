// writeback against B-direct (write-through into Postgres), closed loop at 64 connections,
// interleaved round by round: distinct keys, and 100 hot keys (row-lock contention for
// B-direct, coalescing for writeback). Each writeback round is followed by its drain, so the
// flushing is paid inside the comparison.
import type { BenchEnv, System } from "../lib/env";
import { spread, type Spread } from "../lib/stats";
import { wrk } from "../lib/wrk";
import type { Params } from "../params";

export const DIRECT_CONNECTIONS = 64;

export interface DirectResult {
  distinct: { writeback: Spread; direct: Spread; ratio: Spread };
  hot: { writeback: Spread; direct: Spread; ratio: Spread };
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
      const a = await go(s.writeback, seconds, keyspace);
      await env.waitDrained();
      const b = await go(s.direct, seconds, keyspace);
      if (record) {
        out[kind].wb.push(a.rps);
        out[kind].d.push(b.rps);
      }
      log(`  ${kind}: writeback ${a.rps.toFixed(0)}/s  B-direct ${b.rps.toFixed(0)}/s${record ? "" : "  (warm-up)"}`);
    }
  }
  const pair = (x: { wb: number[]; d: number[] }) => ({ writeback: spread(x.wb), direct: spread(x.d), ratio: spread(x.wb.map((w, i) => w / x.d[i]!)) });
  return { distinct: pair(out.distinct), hot: pair(out.hot) };
}
