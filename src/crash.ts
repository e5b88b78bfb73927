// Fault hooks the tests drive, in one place and out of the configuration: the environment
// variable CRASH_POINT names a step of the flusher at which the process dies as a crash would,
// a kind of thread failure to inject once per thread life, or a key whose write kills the
// process whenever a batch carries it (a poison entry). Unset in production: every hook is
// then one comparison. Service code (the flusher and main.ts call it), so it is not under
// src/testing/, which the service never imports.
import { log } from "./log";

const point = process.env.CRASH_POINT ?? "";
let injected = false;

/**
 * - before-write, after-commit, after-ack: SIGKILL the whole process at that step.
 * - thread-throw: after an ack, the thread ends (once) as it does when run() fails with
 *   what its loop does not catch and retry (thread.ts): the pool must restart it.
 * - thread-reject: after an ack, a promise nobody handles rejects, as the Postgres driver's
 *   can (porsager/postgres#1192): the thread must contain it and keep flushing.
 * - driver-throw: after an ack, a callback throws outside any promise, as the Postgres
 *   driver's socket callbacks can: the thread must contain it and keep flushing.
 * - main-driver-throw: once the service listens, a callback throws outside any request in the
 *   main thread, as the database driver's can: the process must contain it and keep serving.
 * ("after-ack" is after the commit to Redis that moves the partition's cursor.)
 */
export function crashPoint(step: string): void {
  if (point === "") return;
  if (step === "after-ack" && !injected && (point === "thread-throw" || point === "thread-reject" || point === "driver-throw")) {
    injected = true;
    if (point === "thread-throw") {
      log.error("flusher thread failed", { err: "injected flusher thread failure (CRASH_POINT=thread-throw)" });
      process.exit(1);
    } else if (point === "thread-reject") void Promise.reject(new Error("injected driver rejection (CRASH_POINT=thread-reject)"));
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

const poisonKey = point.startsWith("key:") ? point.slice(4) : undefined;

/** CRASH_POINT=key:<key>: SIGKILL the whole process when a batch about to be written holds `<key>`. */
export function crashOnKey(keys: { key: string }[]): void {
  if (poisonKey === undefined || !keys.some((r) => r.key === poisonKey)) return;
  log.error("crash point reached; killing the process", { point, batch: keys.length });
  process.kill(process.pid, "SIGKILL");
}

/** CRASH_POINT=main-driver-throw: a callback of the main thread throws once, outside any request. */
export function mainThreadCrashPoint(): void {
  if (point !== "main-driver-throw") return;
  setImmediate(() => {
    throw new TypeError("injected driver failure (CRASH_POINT=main-driver-throw)");
  });
}
