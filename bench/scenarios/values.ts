// Write throughput by value size: POST /set of distinct keys at 64 connections with 32-byte,
// 1 KiB and 16 KiB values, interleaved round by round, each round followed by its drain (so
// the flushing of the larger values is paid inside the comparison). Issue 14's bar: 1 KiB at
// least 0.8x of 32 bytes; 16 KiB reported.
import type { BenchEnv, System } from "../lib/env";
import { spread, type Spread } from "../lib/stats";
import { wrk } from "../lib/wrk";
import type { Params } from "../params";
import { streamBytes } from "../../src/cache/read";
import { DIRECT_CONNECTIONS } from "./direct";

export const VALUE_SIZES = [32, 1024, 16 * 1024] as const;

export interface ValuesResult {
  /** by value size: writes per second, and the ratio to 32-byte values of the same round */
  sizes: { bytes: number; rps: Spread; ratio: Spread }[];
}

export async function byValueSize(env: BenchEnv, p: Params, wb: System, log: (m: string) => void): Promise<ValuesResult> {
  let run = 0;
  const rps: number[][] = VALUE_SIZES.map(() => []);
  for (let i = 0; i <= p.rounds; i++) {
    const record = i > 0;
    const seconds = record ? p.roundSeconds : p.warmSeconds;
    const line: string[] = [];
    for (const [j, bytes] of VALUE_SIZES.entries()) {
      const r = await wrk({ url: wb.base, seconds, connections: DIRECT_CONNECTIONS, threads: 1, runId: `v${bytes}-${Date.now()}-${run++}`, valueBytes: bytes });
      await env.waitDrained();
      if (record) rps[j]!.push(r.rps);
      line.push(`${bytes} B ${r.rps.toFixed(0)}/s`);
    }
    log(`  ${line.join("  ")}${record ? "" : "  (warm-up)"}`);
  }
  return {
    sizes: VALUE_SIZES.map((bytes, j) => ({ bytes, rps: spread(rps[j]!), ratio: spread(rps[j]!.map((x, k) => x / rps[0]![k]!)) })),
  };
}

export interface MemoryPerWrite {
  bytes: number;
  /** Redis used_memory per unpersisted write */
  perWrite: number;
  /** of which the stream */
  streamPerWrite: number;
}

/**
 * What Redis holds per unpersisted write, by value size: 10,000 distinct writes through the
 * write script with no flusher running, used_memory and the stream's MEMORY USAGE after, per
 * write. Run with no writeback running; empties the bench's own Redis first.
 */
export async function memoryPerWrite(env: BenchEnv): Promise<MemoryPerWrite[]> {
  const N = 10_000;
  const out: MemoryPerWrite[] = [];
  for (const bytes of VALUE_SIZES) {
    await env.client.flushall();
    const used = async () => Number(/used_memory:(\d+)/.exec(await env.client.info("memory"))?.[1]);
    const before = await used();
    await env.fill(N, (i) => `mem${bytes}:${i}`, "m".repeat(bytes));
    const after = await used();
    const stream = await streamBytes(env.client, env.k);
    out.push({ bytes, perWrite: (after - before) / N, streamPerWrite: stream / N });
  }
  await env.client.flushall();
  return out;
}
