// Reads during an upgrade from the release before partitions (see release.ts): until its
// stream is drained and deleted, its hashes may hold acknowledged writes not yet persisted,
// so a read or an increment that misses the current layout looks there, and nothing is filled
// from the database (those hashes are not fenced). ApiCache sees this only as an `OlderLayout`.
import type { OlderLayout } from "../cache/api";
import { readCached, type CachedEntry } from "../cache/read";
import type { WritebackRedis } from "../cache/redis";
import { legacyKeys } from "./keys";
import { hasLegacyStream } from "./stream";

/** How often, while the old release's stream exists, to look whether the upgrade finished. */
const RECHECK_MS = 2000;

export class OneStreamReads implements OlderLayout {
  /** the old release's stream existed when last looked at */
  private there = false;
  private checkedAt = 0;

  constructor(
    private redis: WritebackRedis,
    private prefix: string,
  ) {}

  async check(): Promise<void> {
    this.there = await hasLegacyStream(this.redis, this.prefix);
    this.checkedAt = Date.now();
  }

  /** As last looked at (no round trip): fills wait while it may be there. */
  get present(): boolean {
    return this.there;
  }

  /** Whether the old stream may still hold unpersisted writes (looked up at most every few seconds). */
  async active(): Promise<boolean> {
    if (!this.there) return false;
    if (Date.now() - this.checkedAt > RECHECK_MS) {
      this.checkedAt = Date.now();
      this.there = await hasLegacyStream(this.redis, this.prefix).catch(() => true);
    }
    return this.there;
  }

  read(key: string): Promise<CachedEntry | undefined> {
    return readCached(this.redis, legacyKeys(this.prefix), key);
  }
}
