// Runs the open-loop generator (bench/load/constant.ts) in its own process.
import { childCpuMicros } from "./procfs";
export interface ConstantResult {
  target: number;
  sent: number;
  completed: number;
  ok: number;
  non2xx: number;
  errors: number;
  achieved: number;
  behindMs: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  /** how many answers took longer than each bound, client side (from the due time) */
  tail: { boundsMs: number[]; over: number[] };
  cpuUs: number;
}

export async function constantLoad(o: {
  port: number;
  rate: number;
  seconds: number;
  runId: string;
  connections?: number;
  keyspace?: number;
  path?: string;
}): Promise<ConstantResult> {
  // Enough connections that a stall of a few ms does not exhaust them (at 15k writes/s a
  // 10 ms stall needs 150 in flight): many independent clients would not queue behind each
  // other. A request that does wait for a connection is still timed from its due time.
  const args = { connections: 256, ...o, rate: Math.round(o.rate) };
  const proc = Bun.spawn(["bun", `${import.meta.dir}/../load/constant.ts`, JSON.stringify(args)], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  const line = out.trim().split("\n").pop() ?? "";
  if (proc.exitCode !== 0 || !line.startsWith("{")) throw new Error(`load generator failed:\n${out}\n${err}`);
  return { ...JSON.parse(line), cpuUs: childCpuMicros(proc) };
}
