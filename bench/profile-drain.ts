// Profiling aid: fills a private Redis with N distinct writes, then drains them with one
// Flusher running in a child process's main thread under `bun --cpu-prof-md`, so the profile
// shows the flusher alone (a profile of the service covers its main thread only).
// Usage: bun bench/profile-drain.ts [N] [profile dir]    (FLUSH_* settings from the environment)
import { loadConfig } from "../src/config";
import { openFlusher } from "../src/flusher/open";
import { Registry } from "../src/metrics";
import { keys } from "../src/keys";
import { backlog } from "../src/cache/read";
import type { WritebackRedis } from "../src/cache/redis";
import { BenchEnv } from "./lib/env";
import Redis from "ioredis";

if (process.argv[2] === "--child") {
  const [redisUrl, dbUrl, n] = process.argv.slice(3);
  const config = loadConfig({
    ...process.env,
    REDIS_URL: redisUrl,
    DATABASE_URL: dbUrl,
    KEY_PREFIX: "wb:",
    LOG_LEVEL: "warn",
  });
  const k = keys("wb:", config.STREAM_PARTITIONS);
  const probe = new Redis(redisUrl!);
  const flusher = openFlusher(config, k, 0, new Registry());
  const started = performance.now();
  const running = flusher.run();
  while ((await backlog(probe as WritebackRedis, k)) > 0) await Bun.sleep(20);
  console.log(`${n} entries drained at ${Math.round(Number(n) / ((performance.now() - started) / 1000))}/s`);
  flusher.drain(0);
  await running;
  await flusher.close();
  probe.disconnect();
} else {
  const n = Number(process.argv[2] ?? 300_000);
  const dir = process.argv[3] ?? "/tmp/writeback-profile";
  const env = await BenchEnv.create(process.env.STREAM_PARTITIONS ? { STREAM_PARTITIONS: process.env.STREAM_PARTITIONS } : {});
  try {
    await env.fill(n, (i) => `p:${i}`);
    const child = Bun.spawn(
      [
        "bun",
        "--cpu-prof-md",
        `--cpu-prof-dir=${dir}`,
        import.meta.path,
        "--child",
        env.redis.url,
        env.dbUrl,
        String(n),
      ],
      { stdout: "inherit", stderr: "inherit" },
    );
    await child.exited;
    console.log(`profile written to ${dir}`);
  } finally {
    await env.close();
  }
}
