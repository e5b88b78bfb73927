// Redis as the HTTP side sees it: one connection that fails fast (no offline queue, a
// command timeout), the write path, reads of the cache and of the stream's state, and the
// dead letters. The routes call this; they never call Redis themselves.
import type { Config } from "../config";
import type { Keys } from "../keys";
import { listDead, oldestDeadIds, redrive, type DeadLetterView } from "./dead";
import { readCached, streamStats, type StreamStats } from "./read";
import { connect, waitReady, type WritebackRedis } from "./redis";
import { checkRedisSafety } from "./safety";
import { Writer } from "./writer";

export class ApiCache {
  private redis: WritebackRedis;
  private writer: Writer;

  constructor(
    private config: Config,
    private k: Keys,
  ) {
    this.redis = connect(config.REDIS_URL, "api", config.REDIS_COMMAND_TIMEOUT_MS);
    this.writer = new Writer(this.redis, k, config);
    // Once per connection: warn when this Redis can lose acknowledged writes.
    this.redis.once("ready", () => void checkRedisSafety(this.redis));
  }

  /** Applies one write; resolves with its version. Rejects with BackpressureError, CacheTimeoutError or a connection error. */
  write(key: string, value: string): Promise<string> {
    return this.writer.write(key, value);
  }

  get(key: string): Promise<{ value: string; version: number } | undefined> {
    return readCached(this.redis, this.k, key);
  }

  stats(): Promise<StreamStats> {
    return streamStats(this.redis, this.k);
  }

  deadLetters(count: number, after?: string): Promise<DeadLetterView[]> {
    return listDead(this.redis, this.k, count, after);
  }

  oldestDeadIds(count: number): Promise<string[]> {
    return oldestDeadIds(this.redis, this.k, count);
  }

  /** Moves dead letters back to the stream; BackpressureError past MAX_BACKLOG. */
  redrive(ids: string[]): Promise<number> {
    return redrive(this.redis, this.k, ids, this.config.MAX_BACKLOG);
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  /** Resolves once connected, or rejects after `ms`. */
  whenReady(ms: number): Promise<void> {
    return waitReady(this.redis, ms);
  }

  async close(): Promise<void> {
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  disconnect(): void {
    this.redis.disconnect();
  }
}
