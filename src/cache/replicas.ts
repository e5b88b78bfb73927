// REDIS_WAIT_REPLICAS: a write is acknowledged only once that many replicas have it, so a
// failover to one of them loses no acknowledged write. WAIT is sent right behind the write on
// the same connection and covers every write sent before it on that connection. On one Redis
// it joins the write's auto-pipeline (no extra round trip); on a Cluster, WAIT has no key to
// route it by, so the write and its WAIT go as one explicit pipeline, to the master of the
// write's slot.
import type { Config } from "../config";
import { ReplicationTimeoutError } from "./errors";
import { isCluster, type Scripts, type WritebackRedis } from "./redis";

type ScriptName = "wbSet" | "wbIncr";

/** Runs script `name` with `args`, answered only once WAIT confirms `replicas` replicas (none: at once). */
export async function replicatedCall<N extends ScriptName>(
  redis: WritebackRedis,
  name: N,
  args: Parameters<Scripts[N]>,
  replicas: number,
  timeoutMs: number,
): Promise<Awaited<ReturnType<Scripts[N]>>> {
  const call = redis[name] as (...a: unknown[]) => Promise<Awaited<ReturnType<Scripts[N]>>>;
  if (replicas <= 0) return call.apply(redis, args);
  let result: Awaited<ReturnType<Scripts[N]>>;
  let got: number;
  if (isCluster(redis)) {
    const pipe = redis.pipeline();
    (pipe as unknown as Record<N, (...a: unknown[]) => unknown>)[name](...args);
    pipe.wait(replicas, timeoutMs);
    const replies = (await pipe.exec()) ?? [];
    const [write, wait] = replies;
    if (write?.[0]) throw write[0];
    if (wait?.[0]) throw wait[0];
    result = write?.[1] as Awaited<ReturnType<Scripts[N]>>;
    got = Number(wait?.[1] ?? 0);
  } else {
    [result, got] = await Promise.all([call.apply(redis, args), redis.wait(replicas, timeoutMs)]);
  }
  if (got < replicas) throw new ReplicationTimeoutError(replicas, got, timeoutMs);
  return result;
}

/** How much longer than REDIS_COMMAND_TIMEOUT_MS a write may take: the WAIT behind it, if any. */
export function waitAllowanceMs(c: Pick<Config, "REDIS_WAIT_REPLICAS" | "REDIS_WAIT_TIMEOUT_MS">): number {
  return c.REDIS_WAIT_REPLICAS > 0 ? c.REDIS_WAIT_TIMEOUT_MS : 0;
}
