// The messages between the main thread and a flusher thread.
import type { Config } from "../config";
import type { Snapshot } from "../metrics";

export type ToThread = { type: "start"; config: Config; index: number } | { type: "drain"; graceMs: number };

export type FromThread =
  | { type: "beat"; lastBeat: number; metrics: Snapshot }
  | { type: "stopped"; metrics: Snapshot };
