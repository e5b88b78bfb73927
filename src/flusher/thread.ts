// Entry point of a flusher Worker thread. Runs one Flusher; reports a heartbeat and its
// metrics to the main thread; drains and exits when asked. An uncaught error here reaches
// the main thread's `error` handler, which restarts the thread.
declare var self: Worker;

import { keys } from "../keys";
import { setPriority } from "node:os";
import { configureLog, errorFields, log } from "../log";
import { Registry } from "../metrics";
import { Flusher } from "./flusher";
import type { FromThread, ToThread } from "./messages";

const metrics = new Registry();
let flusher: Flusher | undefined;
const post = (m: FromThread) => self.postMessage(m);

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
    const f = new Flusher(msg.config, keys(msg.config.KEY_PREFIX), msg.index, metrics);
    flusher = f;
    const beat = setInterval(() => post({ type: "beat", lastBeat: f.lastBeat, metrics: metrics.snapshot() }), 250);
    f.run().then(async () => {
      clearInterval(beat);
      await f.close();
      post({ type: "stopped", metrics: metrics.snapshot() });
    });
  } else if (msg.type === "drain") {
    flusher?.drain(msg.graceMs);
  }
};
