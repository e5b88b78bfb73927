// What the HTTP layer needs from the rest of the process.
import type { ApiCache } from "../cache/api";
import type { Config } from "../config";
import type { Registry } from "../metrics";
import type { Store } from "../store/store";
import type { ThreadHealth } from "../thread-health";
import type { PersistWaiters } from "../waiters";

export interface Deps {
  config: Config;
  cache: ApiCache;
  store: Store;
  /** requests waiting until their write is committed (?wait=persisted) */
  waiters: PersistWaiters;
  metrics: Registry;
  /** the flusher threads, when this process runs them */
  flushers?: { health(): ThreadHealth[]; collect(into: Registry): void };
  state: { shuttingDown: boolean };
}
