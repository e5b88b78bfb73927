// The messages between the main thread and a flusher thread.
import type { Config } from "../config";
import type { Snapshot } from "../metrics";

export type ToThread =
  /** `processId`: this process's life (open.ts), the same for every thread */
  | { type: "start"; config: Config; index: number; processId: string }
  | { type: "drain"; graceMs: number }
  /** keys that requests start or stop waiting on (?wait=persisted): the thread reports their commits */
  | { type: "watch"; add: string[]; remove: string[] };

/** A thread's progress: its loop's last turn, and the batch it is on (busySince 0: none). */
export interface Progress {
  lastBeat: number;
  busySince: number;
  lastError: string;
}

export type FromThread =
  | ({ type: "beat"; metrics: Snapshot } & Progress)
  | { type: "stopped"; metrics: Snapshot }
  /** commits of watched keys only */
  | { type: "committed"; keys: string[]; versions: number[] }
  /** a setting that can never work (e.g. the database belongs to another deployment): the process must stop */
  | { type: "fatal"; message: string };
