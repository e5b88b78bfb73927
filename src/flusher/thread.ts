// Entry point of a flusher Worker thread. Runs one Flusher; reports a heartbeat, its progress
// and its metrics to the main thread; drains and exits when asked. An error its run() throws
// (a bug) ends the thread, and the pool in the main thread restarts it.
declare var self: Worker;

import { configKeys } from "../keys";
import { setPriority } from "node:os";
import { configureLog, errorFields, log } from "../log";
import { Registry } from "../metrics";
import { FatalError } from "../fatal";
import type { Flusher } from "./flusher";
import { openFlusher } from "./open";
import { drainLegacy } from "../legacy/drain";
import type { FromThread, ToThread } from "./messages";
import { CommitWatch, type Commit } from "./watch";

const metrics = new Registry();
let flusher: Flusher | undefined;
let drain = (_graceMs: number) => {};
const watch = new CommitWatch();
const post = (m: FromThread) => self.postMessage(m);
const report = (c: Commit[]) => {
  if (c.length > 0) post({ type: "committed", keys: c.map((x) => x.key), versions: c.map((x) => x.version) });
};

// An exception thrown from a callback outside any promise, or a rejection nobody can handle:
// in practice a database driver's, after its connection broke. postgres.js 3.4.9 can throw a
// TypeError from a write scheduled before its socket closed, and drops the promise of the
// array-types query it runs on each new connection (porsager/postgres#1192, #1223), so a
// backend terminated during that handshake rejects where no caller can catch it. Nothing of a
// batch is acknowledged by either, so the thread contains it (as the main thread does,
// start.ts), replaces its database client, and keeps flushing; the batch in flight fails or
// meets its deadline and is retried. Restarting the thread instead would leave the
// partitions it held to wait out their leases.
const contain = (err: unknown) => {
  metrics.inc("writeback_flusher_contained_errors_total");
  log.error("flusher thread contained an error nobody could catch (a callback threw, or a rejection went unhandled); reconnecting the database", errorFields(err));
  flusher?.resetDb();
};
process.on("uncaughtException", contain);
process.on("unhandledRejection", contain);

self.onmessage = (event: MessageEvent<ToThread>) => {
  const msg = event.data;
  if (msg.type === "start") {
    configureLog(msg.config.LOG_LEVEL, { thread: msg.index });
    // Linux keeps a nice value per thread: this lowers the flusher's priority, not the
    // process's, so on a busy machine a request waits less behind a flush. Flushing only
    // slows down when the CPU is saturated, and the backlog limits bound how far it lags.
    try {
      setPriority(0, msg.config.FLUSH_NICE);
    } catch (err) {
      log.warn("could not lower the flusher thread's priority", errorFields(err));
    }
    const config = msg.config;
    let current: Flusher | undefined;
    let stopAsked: number | undefined;
    const beat = setInterval(() => {
      const f = current;
      post({ type: "beat", lastBeat: f?.lastBeat ?? Date.now(), busySince: f?.busySince ?? 0, lastError: f?.lastError ?? "", metrics: metrics.snapshot() });
    }, 250);
    drain = (graceMs) => {
      stopAsked = graceMs;
      current?.drain(graceMs);
    };
    const track = (f: Flusher | undefined) => {
      current = f;
      flusher = f;
      if (f && stopAsked !== undefined) f.drain(stopAsked);
    };
    (async () => {
      // The old release's stream first (src/legacy/drain.ts); a stop during it ends the thread.
      if (!(await drainLegacy(config, msg.index, msg.processId, metrics, track))) return;
      if (stopAsked !== undefined) return;
      const f = openFlusher(config, configKeys(config), msg.index, metrics, { claimOwner: true }, msg.processId);
      f.onCommitted = (rows) => report(watch.committed(rows));
      track(f);
      await f.run();
      await f.close();
    })().then(
      () => {
        clearInterval(beat);
        post({ type: "stopped", metrics: metrics.snapshot() });
      },
      (err) => {
        clearInterval(beat);
        if (err instanceof FatalError) return post({ type: "fatal", message: err.message });
        // A bug. Not rethrown: a rejection here would be contained like a driver's, and leave
        // a thread that beats and flushes nothing. Ending the thread lets the pool restart it.
        log.error("flusher thread failed", errorFields(err));
        process.exit(1);
      },
    );
  } else if (msg.type === "drain") {
    drain(msg.graceMs);
  } else if (msg.type === "watch") {
    report(watch.update(msg.add, msg.remove));
  }
};
