// Interleaved A/B of builds or settings, for the "what each change bought" table
// (bench/README.md). Each variant is an environment for the service, plus optionally BIN, the
// path of another build (e.g. the previous commit's `bun run build` output copied aside).
//
//   bun bench/ab.ts drain [N] [rounds] '{"A":{...},"B":{...}}'   N distinct keys drained per run, with B-pg
//   bun bench/ab.ts write [rounds] '{"A":{...},"B":{...}}'       POST /set peak (wrk, 256 connections, 10 s)
//   bun bench/ab.ts redis [N] [rounds] '{"A":{...},"B":{...}}'   Redis's CPU per write: N distinct keys by POST /mset, then N/5 POST /set over 100 hot keys
//   bun bench/ab.ts misses [rounds] '{"A":{...},"B":{...}}'      cache misses: GET and POST /incr of 10,000 persisted keys with CACHE_TTL_MS=1 (wrk, 64 connections, 10 s each)
//
// Every run starts on an emptied Redis and table; the order of the variants swaps every
// round. A drain run prints the CPU per entry of writeback, Redis and Postgres, the busiest
// threads of the writeback process (/proc/<pid>/task) and its highest RSS.
import { keys } from "../src/keys";
import { loadConfig } from "../src/config";
import { startService } from "../src/testing/process";
import { upsertCeiling } from "./baselines/pg";
import { BINARY, BenchEnv } from "./lib/env";
import { sampleMaxRss, threadCpuMicros } from "./lib/procfs";
import { wrk } from "./lib/wrk";
import { commandLine, measure, msetDistinct, setHot } from "./scenarios/redis-cost";

const [mode, ...rest] = process.argv.slice(2);
if (!["drain", "write", "redis", "misses"].includes(mode!)) throw new Error("usage: bun bench/ab.ts drain|write|redis|misses ... (see the file's header)");
const sized = mode === "drain" || mode === "redis";
const n = sized ? Number(rest[0] ?? 300_000) : 0;
const rounds = Number(rest[sized ? 1 : 0] ?? 3);
const variants = JSON.parse(rest[sized ? 2 : 1] ?? '{"current":{}}') as Record<string, Record<string, string>>;
const names = Object.keys(variants);

const env = await BenchEnv.create({});
const results = new Map<string, number[]>();
try {
  for (let r = 0; r < rounds; r++) {
    for (const name of r % 2 ? [...names].reverse() : names) {
      await env.client.flushall();
      await env.truncate();
      await env.settle();
      const { BIN, ...serviceEnv } = variants[name]!;
      const k = keys("wb:", loadConfig({ STREAM_PARTITIONS: serviceEnv.STREAM_PARTITIONS }).STREAM_PARTITIONS);
      if (mode === "drain") await env.fill(n, (i) => `ab${r}:${i}`, undefined, k);
      await env.settle();
      const wb = await startService(
        { REDIS_URL: env.redis.url, DATABASE_URL: env.dbUrl, KEY_PREFIX: "wb:", ...serviceEnv },
        { cmd: [BIN ?? BINARY] },
      );
      try {
        if (mode === "misses") {
          // Every key persisted, then expired: each GET misses (fence, database, fill), and so
          // does each /incr of a key not written since it expired.
          await msetDistinct(wb, 10_000, (i) => `hot:${i}`);
          await env.waitDrained(600_000, k);
          await Bun.sleep(100);
          for (const m of ["get", "incr"] as const) {
            const w = await wrk({ url: wb.base, seconds: 10, connections: 64, threads: 1, runId: `abm${r}${name}${m}`, mode: m, keyspace: 10_000 });
            console.log(`round ${r} ${name}: ${m} ${w.rps.toFixed(0)}/s, p99 ${w.p99Ms.toFixed(1)} ms, non-2xx ${w.non2xx}`);
            results.set(`${name} ${m}`, [...(results.get(`${name} ${m}`) ?? []), w.rps]);
          }
          continue;
        }
        if (mode === "redis") {
          const d = await measure(env, n, () => msetDistinct(wb, n, (i) => `ab${r}:${i}`));
          const h = await measure(env, Math.round(n / 5), () => setHot(wb, Math.round(n / 5), 100));
          console.log(`round ${r} ${name}: Redis CPU µs per write: distinct ${d.cpuPerWrite.toFixed(2)}, hot ${h.cpuPerWrite.toFixed(2)}`);
          console.log(`  distinct: ${commandLine(d)}\n  hot: ${commandLine(h)}`);
          results.set(`${name} distinct`, [...(results.get(`${name} distinct`) ?? []), d.cpuPerWrite]);
          results.set(`${name} hot`, [...(results.get(`${name} hot`) ?? []), h.cpuPerWrite]);
          continue;
        }
        if (mode === "write") {
          await wrk({ url: wb.base, seconds: 3, connections: 256, threads: 1, runId: `abw${r}${name}` });
          const rss = sampleMaxRss(wb.proc.pid);
          const w = await wrk({ url: wb.base, seconds: 10, connections: 256, threads: 1, runId: `ab${r}${name}` });
          console.log(`round ${r} ${name}: ${w.rps.toFixed(0)}/s, p99 ${w.p99Ms.toFixed(1)} ms, max RSS ${(rss.stop() / 1048576).toFixed(0)} MiB`);
          results.set(name, [...(results.get(name) ?? []), w.rps]);
          await env.waitDrained(600_000, k);
          continue;
        }
        const t0 = performance.now();
        const remaining = await env.backlog(k);
        const meter = env.cpuMeter(wb.proc.pid).start();
        const before = threadCpuMicros(wb.proc.pid);
        const rss = sampleMaxRss(wb.proc.pid);
        await env.waitDrained(600_000, k);
        const seconds = (performance.now() - t0) / 1000;
        const cpu = meter.stop();
        const busiest = [...threadCpuMicros(wb.proc.pid)]
          .map(([t, us]) => [t, (us - (before.get(t) ?? 0)) / remaining] as const)
          .filter(([, us]) => us >= 0.5)
          .sort((a, b) => b[1] - a[1]);
        const per = Object.entries(cpu).map(([p, us]) => `${p} ${(us / remaining).toFixed(1)}`);
        console.log(`round ${r} ${name}: drain ${(remaining / seconds).toFixed(0)}/s; CPU µs per entry: ${per.join(", ")}; max RSS ${(rss.stop() / 1048576).toFixed(0)} MiB`);
        console.log(`  writeback's threads, µs per entry: ${busiest.map(([t, us]) => `${t} ${us.toFixed(1)}`).join(", ")}`);
        results.set(name, [...(results.get(name) ?? []), remaining / seconds]);
      } finally {
        wb.proc.kill("SIGTERM");
        await wb.proc.exited;
      }
    }
    if (mode === "drain") {
      await env.truncate();
      const b = await upsertCeiling(env.dbUrl, n, 25_000, `abpg${r}`);
      console.log(`round ${r} B-pg: ${b.toFixed(0)} rows/s`);
      results.set("B-pg", [...(results.get("B-pg") ?? []), b]);
    }
  }
  for (const [name, rates] of results) {
    const sorted = [...rates].sort((a, b) => a - b);
    const f = (x: number) => (mode === "redis" ? x.toFixed(2) : x.toFixed(0));
    console.log(`${name}: median ${f(sorted[Math.floor(sorted.length / 2)]!)}${mode === "redis" ? " µs" : "/s"} (${rates.map(f).join(", ")})`);
  }
} finally {
  await env.close();
}
