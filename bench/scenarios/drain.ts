// Drain rate: N distinct writes already in the stream, then writeback starts and flushes
// them, against the upsert statement alone (B-pg), interleaved. Coalescing: N writes over a
// few hot keys, drained the same way. Memory: what Redis holds once a run has drained.
import { upsertCeiling } from "../baselines/pg";
import type { BenchEnv, System } from "../lib/env";
import { scrape } from "../lib/scrape";
import { spread, type Spread } from "../lib/stats";
import type { Params } from "../params";
import { streamBytes as streamBytesOf } from "../../src/cache/read";

/** Fills the stream with the writeback service stopped, starts it, times the drain. */
async function drainOnce(env: BenchEnv, n: number, key: (i: number) => string) {
  await env.fill(n, key);
  // The fill's own background work (an AOF rewrite of what may be gigabytes of cache by the
  // later rounds, Postgres's checkpoint) is not the drain's: let it finish first.
  await env.settle();
  const wb = await env.startWriteback();
  // Timed from when the service answers /health, over what is still in the stream then, so
  // process start-up is not counted.
  const t0 = performance.now();
  const remaining = await env.backlog();
  const meter = env.cpuMeter(wb.pid).start();
  await env.waitDrained();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = meter.stop();
  // Threads report their counters with each heartbeat: wait until every entry is counted.
  let last = await scrape(wb.base);
  for (let i = 0; i < 100 && last.get("writeback_flushed_entries_total") < n; i++) {
    await Bun.sleep(50);
    last = await scrape(wb.base);
  }
  const entries = last.get("writeback_flushed_entries_total");
  return { wb, rate: remaining / seconds, entries, rows: last.get("writeback_flushed_rows_total"), cpu };
}

export interface DrainResult {
  drain: Spread;
  pg: Spread;
  /** drain ÷ B-pg, paired round by round */
  ratio: Spread;
  cpuPerEntry: Record<string, number>;
  batch: number;
}

export async function drain(env: BenchEnv, p: Params, batch: number, log: (m: string) => void): Promise<DrainResult> {
  const rates: number[] = [];
  const pg: number[] = [];
  const cpu: Record<string, number> = {};
  let entries = 0;
  for (let r = 0; r < p.drainRounds; r++) {
    await env.truncate();
    const d = await drainOnce(env, p.drainWrites, (i) => `drain${r}:${i}`);
    await d.wb.stop();
    rates.push(d.rate);
    entries += d.entries;
    for (const [k, v] of Object.entries(d.cpu)) cpu[k] = (cpu[k] ?? 0) + v;
    await env.truncate();
    await env.settle();
    const b = await upsertCeiling(env.dbUrl, p.drainWrites, batch, `bpg${r}`);
    pg.push(b);
    log(`  drain ${d.rate.toFixed(0)}/s  B-pg ${b.toFixed(0)} rows/s`);
  }
  const cpuPerEntry: Record<string, number> = {};
  for (const [k, v] of Object.entries(cpu)) cpuPerEntry[k] = v / entries;
  return { drain: spread(rates), pg: spread(pg), ratio: spread(rates.map((r, i) => r / pg[i]!)), cpuPerEntry, batch };
}

export interface CoalesceResult {
  writes: number;
  rows: number;
  streamBytes: number;
  streamLength: number;
  redisUsedBytes: number;
}

/** Hot keys, drained; then what the drained stream still costs Redis. */
export async function coalescing(env: BenchEnv, p: Params): Promise<CoalesceResult> {
  await env.truncate();
  // Hot keys in random order, as real traffic is (in round-robin order no batch shorter
  // than the key count would ever see a key twice).
  const d = await drainOnce(env, p.coalesceWrites, () => `hot:${Math.floor(Math.random() * p.hotKeys)}`);
  await d.wb.stop();
  const streamBytes = await streamBytesOf(env.client, env.k);
  const info = await env.client.info("memory");
  return {
    writes: d.entries,
    rows: d.rows,
    streamBytes,
    streamLength: await env.backlog(),
    redisUsedBytes: Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0),
  };
}

export type { System };
