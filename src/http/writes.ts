// What every write route shares: refuse while shutting down, check the body, apply the write
// to the cache, count the outcome (the failure's answer is failures.ts's), and, when asked
// (?wait=persisted), hold the answer until the written versions are committed.
import { AppError, invalid, shuttingDown } from "../errors";
import type { Deps } from "./deps";
import { fromCache } from "./failures";
import { queryParam } from "./url";
import { errorFields, log } from "../log";

const WAIT_DEFAULT_MS = 5000;
const WAIT_MAX_MS = 60_000;

/** The ?wait=persisted timeout of a request, or undefined when it does not wait. */
export function waitFor(url: string): number | undefined {
  const wait = queryParam(url, "wait");
  if (wait === undefined) return undefined;
  if (wait !== "persisted") throw invalid("wait", "must be persisted");
  const raw = queryParam(url, "timeout_ms");
  if (raw === undefined) return WAIT_DEFAULT_MS;
  const ms = Number(raw);
  if (!/^\d+$/.test(raw) || ms < 1 || ms > WAIT_MAX_MS) throw invalid("timeout_ms", `must be 1..${WAIT_MAX_MS}`);
  return ms;
}

export function writer(d: Deps) {
  const { metrics } = d;
  const rejected = (err: unknown): never => {
    metrics.inc("writeback_writes_total", { outcome: "rejected" });
    throw err;
  };

  /**
   * Runs one write request: `check` the body, then `apply` it; `versions` names the
   * key/version pairs it wrote, for ?wait=persisted. Returns the reply and its status.
   */
  async function run<T, R extends object>(
    request: Request,
    set: { status?: number | string },
    check: () => T,
    apply: (t: T) => Promise<R>,
    versions: (r: R) => { key: string; version: number }[],
  ): Promise<R | (R & { persisted: boolean })> {
    const started = performance.now();
    if (d.state.shuttingDown) throw shuttingDown();
    let checked: T;
    let waitMs: number | undefined;
    try {
      waitMs = waitFor(request.url);
      checked = check();
    } catch (err) {
      return rejected(err);
    }
    let reply: R;
    try {
      reply = await apply(checked);
    } catch (err) {
      if (err instanceof AppError) throw err;
      const answer = fromCache(err);
      if (answer.status === 409) return rejected(answer); // NOT_AN_INTEGER, OUT_OF_RANGE: about the request
      if (answer.code === "BACKPRESSURE") {
        metrics.inc("writeback_writes_total", { outcome: "backpressure" });
        throw answer;
      }
      metrics.inc("writeback_writes_total", { outcome: "unavailable" });
      log.debug("write not accepted: Redis unavailable", errorFields(err));
      throw answer;
    }
    metrics.inc("writeback_writes_total", { outcome: "ok" });
    metrics.observe("writeback_write_seconds", (performance.now() - started) / 1000);
    if (waitMs === undefined) return reply;
    // Acknowledged either way; the wait only says whether it is in the database yet.
    const done = await Promise.all(versions(reply).map((v) => d.waiters.wait(v.key, v.version, waitMs)));
    const persisted = done.every(Boolean);
    if (!persisted) set.status = 202;
    return { ...reply, persisted };
  }

  return { run, rejected };
}
