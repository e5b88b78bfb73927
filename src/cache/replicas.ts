// REDIS_WAIT_REPLICAS: a write is acknowledged only once that many replicas have it, so a
// failover to one of them loses no acknowledged write. WAIT is sent right behind the write on
// the same connection, in the same auto-pipeline (no extra round trip), and it covers every
// write sent before it on that connection.
import type { Config } from "../config";
import { ReplicationTimeoutError } from "./errors";
import type { WritebackRedis } from "./redis";

/** `write`, answered only once WAIT confirms `replicas` replicas; call it in the tick the write was sent. */
export function replicated<T>(redis: WritebackRedis, write: Promise<T>, replicas: number, timeoutMs: number): Promise<T> {
  if (replicas <= 0) return write;
  const wait = redis.wait(replicas, timeoutMs);
  return Promise.all([write, wait]).then(([result, got]) => {
    if (got < replicas) throw new ReplicationTimeoutError(replicas, got, timeoutMs);
    return result;
  });
}

/** How much longer than REDIS_COMMAND_TIMEOUT_MS a write may take: the WAIT behind it, if any. */
export function waitAllowanceMs(c: Pick<Config, "REDIS_WAIT_REPLICAS" | "REDIS_WAIT_TIMEOUT_MS">): number {
  return c.REDIS_WAIT_REPLICAS > 0 ? c.REDIS_WAIT_TIMEOUT_MS : 0;
}
