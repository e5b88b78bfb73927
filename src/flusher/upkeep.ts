// What a flusher does between batches, on its own schedule: settle which partitions it owns
// (ownership.ts), and purge tombstones older than TOMBSTONE_RETENTION_MS in small statements,
// a bounded number per round, about once a minute per thread.
import type { Config } from "../config";
import { log } from "../log";
import type { Registry } from "../metrics";
import type { Store } from "../store/store";
import type { Ownership } from "./ownership";
import { PURGE_BATCH, PURGE_INTERVAL_MS, PURGE_MAX_BATCHES } from "../tuning";


export class Upkeep {
  /** threads purge at different times */
  private nextPurge = Date.now() + PURGE_INTERVAL_MS * Math.random();

  constructor(
    private store: Store,
    private config: Config,
    private metrics: Registry,
    private consumer: string,
  ) {}

  async run(own: Ownership): Promise<void> {
    await own.settle();
    if (Date.now() < this.nextPurge) return;
    this.nextPurge = Date.now() + PURGE_INTERVAL_MS;
    let purged = 0;
    for (let i = 0; i < PURGE_MAX_BATCHES; i++) {
      const n = await this.store.purgeTombstones(this.config.TOMBSTONE_RETENTION_MS, PURGE_BATCH);
      purged += n;
      if (n < PURGE_BATCH) break;
    }
    if (purged > 0) {
      this.metrics.inc("writeback_tombstones_purged_total", undefined, purged);
      log.info("tombstones purged", { count: purged, consumer: this.consumer });
    }
  }
}
