// B-redis: the write script alone, EVALSHA from redis-benchmark, one write (a new key) per call.
import { childCpuMicros } from "./procfs";
export async function redisBenchmark(o: {
  port: number;
  sha: string;
  connections: number;
  requests: number;
  prefix: string;
}): Promise<{ rps: number; cpuUs: number }> {
  const proc = Bun.spawn(
    [
      "redis-benchmark",
      "-h",
      "127.0.0.1",
      "-p",
      String(o.port),
      "-c",
      String(o.connections),
      "-n",
      String(o.requests),
      "-r",
      "1000000000",
      "--csv",
      "EVALSHA",
      o.sha,
      "2",
      `${o.prefix}stream`,
      `${o.prefix}c:__rand_int__`,
      "1", // one stream among the keys
      "0",
      "0",
      "s", // a set (set.lua takes op, key, value and the index of its stream per write)
      "k:__rand_int__",
      "x".repeat(32),
      "1",
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  const row = out.split(/[\r\n]+/).find((l) => l.startsWith('"EVALSHA'));
  if (!row) throw new Error(`redis-benchmark failed:\n${out}`);
  return {
    rps: Number(JSON.parse(`[${row}]`)[1]),
    cpuUs: childCpuMicros(proc),
  };
}
