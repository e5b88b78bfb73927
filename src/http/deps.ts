// What the HTTP layer needs from the rest of the process.
import type { WritebackRedis } from "../cache/redis";
import type { Config } from "../config";
import type { Keys } from "../keys";
import type { Registry } from "../metrics";
import type { Db } from "../store/db";

/** One flusher thread as /health reports it. */
export interface ThreadHealth {
  index: number;
  alive: boolean;
  stuck: boolean;
  batchAgeMs: number;
  lastError?: string;
}

export interface Deps {
  config: Config;
  redis: WritebackRedis;
  db: Db;
  keys: Keys;
  metrics: Registry;
  /** the flusher threads, when this process runs them */
  flushers?: { health(): ThreadHealth[]; collect(into: Registry): void };
  state: { shuttingDown: boolean };
}
