// Closed-loop peak load: wrk, with a Lua script that gives every request a new key.
import { childCpuMicros } from "./procfs";
const SCRIPT = `${import.meta.dir}/../wrk/set.lua`;
const API_SCRIPT = `${import.meta.dir}/../wrk/api.lua`;

export interface WrkResult {
  rps: number;
  requests: number;
  errors: number;
  non2xx: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU wrk itself used, microseconds */
  cpuUs: number;
}

export interface WrkOptions {
  url: string;
  seconds: number;
  connections: number;
  threads: number;
  runId: string;
  /** 0: every key distinct; n: keys cycle over n hot keys */
  keyspace?: number;
  /** the API figures (wrk/api.lua): get, incr or mset (with `batch` items) instead of POST /set */
  mode?: "get" | "incr" | "mset";
  batch?: number;
  /** bytes of each POST /set value (32 unless given) */
  valueBytes?: number;
}

export async function wrk(o: WrkOptions): Promise<WrkResult> {
  const proc = Bun.spawn(
    [
      "wrk",
      `-t${o.threads}`,
      `-c${o.connections}`,
      `-d${o.seconds}s`,
      "--latency",
      "-s",
      o.mode ? API_SCRIPT : SCRIPT,
      o.url,
      "--",
      ...(o.mode ? [o.mode, o.runId, String(o.keyspace ?? 100), String(o.batch ?? 100)] : [o.runId, String(o.keyspace ?? 0), String(o.valueBytes ?? 32)]),
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  const line = out.split("\n").find((l) => l.startsWith("JSON "));
  if (proc.exitCode !== 0 || !line) throw new Error(`wrk failed (exit ${proc.exitCode}):\n${out}\n${err}`);
  const j = JSON.parse(line.slice(5));
  return {
    rps: j.requests / j.seconds,
    requests: j.requests,
    errors: j.errors,
    non2xx: j.non2xx,
    p50Ms: j.p50 / 1000,
    p99Ms: j.p99 / 1000,
    cpuUs: childCpuMicros(proc),
  };
}
