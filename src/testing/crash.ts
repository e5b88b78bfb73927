// Test-only fault hooks, in one place and out of the configuration: the environment variable
// CRASH_POINT names a step of the flusher at which the process dies as a crash would, or a
// kind of thread failure to inject once per thread life. Unset in production: every hook is
// then one comparison.
import { log } from "../log";

const point = process.env.CRASH_POINT ?? "";
let injected = false;

/**
 * - before-write, after-commit, after-ack: SIGKILL the whole process at that step.
 * - thread-throw: after an ack, the thread fails as a bug would (a rejected promise nobody
 *   handles), once: the pool must restart it.
 * - driver-throw: after an ack, a callback throws outside any promise, as the Postgres
 *   driver's socket callbacks can: the thread must contain it and keep flushing.
 */
export function crashPoint(step: string): void {
  if (point === "") return;
  if (step === "after-ack" && !injected && (point === "thread-throw" || point === "driver-throw")) {
    injected = true;
    if (point === "thread-throw") void Promise.reject(new Error("injected flusher thread failure (CRASH_POINT=thread-throw)"));
    else
      setImmediate(() => {
        throw new TypeError("injected driver failure (CRASH_POINT=driver-throw)");
      });
  }
  if (point === step) {
    log.error("crash point reached; killing the process", { point: step });
    process.kill(process.pid, "SIGKILL");
  }
}
