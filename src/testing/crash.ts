// Test-only fault hooks, in one place. CRASH_POINT names a step of the flusher at which the
// process dies as a crash would, or a kind of thread failure to inject once per thread life.
// Empty (the default) in production: every hook is then a comparison and nothing else.
import type { Config } from "../config";
import { log } from "../log";

let injected = false;

/**
 * - before-write, after-commit, after-ack: SIGKILL the whole process at that step.
 * - thread-throw: after an ack, the thread fails as a bug would (a rejected promise nobody
 *   handles), once: the pool must restart it.
 * - driver-throw: after an ack, a callback throws outside any promise, as the Postgres
 *   driver's socket callbacks can: the thread must contain it and keep flushing.
 */
export function crashPoint(config: Pick<Config, "CRASH_POINT">, point: string): void {
  const c = config.CRASH_POINT;
  if (c === "") return;
  if (point === "after-ack" && !injected && (c === "thread-throw" || c === "driver-throw")) {
    injected = true;
    if (c === "thread-throw") void Promise.reject(new Error("injected flusher thread failure (CRASH_POINT=thread-throw)"));
    else setImmediate(() => {
      throw new TypeError("injected driver failure (CRASH_POINT=driver-throw)");
    });
  }
  if (c === point) {
    log.error("crash point reached; killing the process", { point });
    process.kill(process.pid, "SIGKILL");
  }
}
