// Redis as the HTTP side sees it: one connection that fails fast (no offline queue, a
// command timeout; made by the caller, src/start.ts), the write path, reads of the cache and of
// the stream's state, and the dead letters. The routes call this; they never call Redis
// themselves.
import type { Config } from "../config";
import type { Keys } from "../keys";
import { listDead, redrive, type DeadLetterView, type Redriven } from "./dead";
import { readCached, streamStats, type CachedEntry, type StreamStats } from "./read";
import { isCluster, waitReady, type WritebackRedis } from "./redis";
import { checkRedisSafety } from "./safety";
import { checkLayout } from "./layout";
import { deadline } from "../deadline";
import { FatalError } from "../fatal";
import { CacheTimeoutError, fromScriptError } from "./errors";
import type { Write } from "./writer";
import { log } from "../log";
import { Writer } from "./writer";
import { replicatedCall, waitAllowanceMs } from "./replicas";
import { backlogShare } from "./writer";

/**
 * Another layout whose cache entries may still hold acknowledged writes not yet persisted (an
 * upgrade in progress: src/legacy/reads.ts): a read or an increment that misses looks there,
 * and nothing is filled from the database while it is present.
 */
export interface OlderLayout {
  /** looks whether it is there (with the layout check, before the first write) */
  check(): Promise<void>;
  /** as last looked at, without a round trip */
  readonly present: boolean;
  /** whether it may still hold unpersisted writes (looked at again now and then) */
  active(): Promise<boolean>;
  read(key: string): Promise<CachedEntry | undefined>;
}

export class ApiCache {
  private writer: Writer;
  /** resolved once the layout is known to match (layout.ts); writes wait for it */
  private layout?: Promise<void>;
  private layoutChecked = false;

  constructor(
    private config: Config,
    private k: Keys,
    /** the API's connection (connect(..., "api", ...)): fail-fast */
    private redis: WritebackRedis,
    /** called when Redis is set up so that it can lose acknowledged writes (an allkeys-* policy) */
    private onFatal: (message: string) => void = (m) => log.error(m),
    private older?: OlderLayout,
  ) {
    this.writer = new Writer(this.redis, k, config);
    // On the first connection: refuse a Redis that may evict unpersisted writes; warn when it
    // can lose them otherwise.
    const onReady = () => {
      checkRedisSafety(this.redis, { allowAllkeysEviction: config.ALLOW_ALLKEYS_EVICTION }).catch((err) => {
        if (err instanceof FatalError) onFatal(err.message);
      });
      this.checkLayout().catch(() => {}); // a mismatch reaches onFatal
    };
    if (this.redis.status === "ready") onReady();
    else this.redis.once("ready", onReady);
  }

  /**
   * Checks the layout once (layout.ts) before the first write: a mismatch is fatal (onFatal)
   * and every write is refused until the process stops. Also looks whether an older layout is
   * still there.
   */
  checkLayout(): Promise<void> {
    this.layout ??= (async () => {
      await checkLayout(this.redis, this.k, this.config.KEY_PREFIX);
      await this.older?.check();
      this.layoutChecked = true;
    })().catch((err) => {
      this.layout = undefined; // Redis unreachable: the next write tries again
      if (err instanceof FatalError) {
        this.layout = Promise.reject(err);
        this.layout.catch(() => {});
        this.onFatal(err.message);
      }
      throw err;
    });
    return this.layout;
  }

  /** Applies one set; resolves with its version. Rejects with BackpressureError, CacheTimeoutError or a connection error. */
  write(key: string, value: string): Promise<string> {
    if (!this.layoutChecked) return this.checkLayout().then(() => this.writer.write("s", key, value));
    return this.writer.write("s", key, value);
  }

  /** Applies one delete (a tombstone with its own version); resolves with its version. */
  del(key: string): Promise<string> {
    if (!this.layoutChecked) return this.checkLayout().then(() => this.writer.write("d", key, ""));
    return this.writer.write("d", key, "");
  }

  /** Applies several sets and deletes as one atomic step (on a Cluster, per partition); resolves with their versions in order. */
  async writeAll(writes: Write[]): Promise<string[]> {
    if (!this.layoutChecked) await this.checkLayout();
    return this.writer.writeAll(writes);
  }

  /**
   * Adds `by` to the key's value as one write (incr.lua). Resolves "miss" when the key has no
   * cache entry and no `base` (its value from the database) was given: read the fence (fence()),
   * then the database, and call again with both. "miss" again means the fence moved during that
   * read (the base may be stale): read both again.
   * Rejects with NotAnIntegerError, OutOfRangeError, BackpressureError, CacheTimeoutError.
   */
  async incr(key: string, by: bigint, base?: string, fence = ""): Promise<{ version: number; value: string } | "miss"> {
    const c = this.config;
    if (!this.layoutChecked) await this.checkLayout();
    if (base === undefined && this.older && (await this.older.active())) {
      // The older layout's hash may hold a write not yet persisted: count on from it.
      const older = this.older;
      const old = await this.timed(older.read(key)).catch(() => undefined);
      if (old) {
        fence = await this.fence(key);
        base = old.deleted ? "0" : old.value;
      }
    }
    let reply: string[];
    try {
      const k = this.k;
      const p = k.partition(key);
      const args = [k.stream(p), k.cacheIn(p, key), k.fence(p), backlogShare(c, k), c.MAX_LAG_MS, key, String(by), base ?? "", fence] as const;
      reply = await this.timed(replicatedCall(this.redis, "wbIncr", [...args], c.REDIS_WAIT_REPLICAS, c.REDIS_WAIT_TIMEOUT_MS), waitAllowanceMs(c));
    } catch (err) {
      throw fromScriptError(err);
    }
    if (reply[0] === "MISS") return "miss";
    return { version: Number(reply[0]), value: reply[1]! };
  }

  /** The key's cache entry: a value, a tombstone (deleted), or undefined on a miss. */
  get(key: string): Promise<CachedEntry | undefined> {
    return this.timed(this.readOne(key));
  }

  /**
   * Whether the key's cache entry is known to be clean: its version committed to the database
   * (clean.lua or a fill gave it its TTL). With CACHE_TTL_MS=0 no entry carries a TTL, so the
   * cache cannot tell: false.
   */
  async isClean(key: string): Promise<boolean> {
    return this.config.CACHE_TTL_MS > 0 && (await this.timed(this.redis.pttl(this.k.cache(key)))) > 0;
  }

  /** The cache entries of several keys, in order (one round trip). */
  getMany(keys: string[]): Promise<(CachedEntry | undefined)[]> {
    return this.timed(Promise.all(keys.map((key) => this.readOne(key))));
  }

  private async readOne(key: string): Promise<CachedEntry | undefined> {
    const hit = await readCached(this.redis, this.k, key);
    if (hit || !this.older || !(await this.older.active())) return hit;
    return this.older.read(key);
  }

  /**
   * Rejects with CacheTimeoutError after REDIS_COMMAND_TIMEOUT_MS: the client runs one
   * pipeline at a time, so a call queued behind a hanging one would otherwise wait twice.
   */
  private timed<T>(work: Promise<T>, extraMs = 0): Promise<T> {
    const ms = this.config.REDIS_COMMAND_TIMEOUT_MS + extraMs;
    return deadline(work, ms, () => new CacheTimeoutError(ms));
  }


  /**
   * The fence of `key`'s partition (fence.lua), to read before the database is read for a
   * cache miss and to hand to fill() or incr() with what the database answered.
   */
  fence(key: string): Promise<string> {
    return this.timed(this.redis.wbFence(this.k.fence(this.k.partition(key))));
  }

  /** The fences of several keys, in order; one script call per partition among them. */
  async fences(keys: string[]): Promise<string[]> {
    const parts = keys.map((key) => this.k.partition(key));
    const unique = [...new Set(parts)];
    const values = await this.timed(Promise.all(unique.map((p) => this.redis.wbFence(this.k.fence(p)))));
    const of = new Map(unique.map((p, i) => [p, values[i]!]));
    return parts.map((p) => of.get(p)!);
  }

  /**
   * Read-through: caches a value read from the database, clean (with CACHE_TTL_MS), unless
   * Redis has an entry for the key by now or the partition's fence moved since `fence` was read
   * before the database (fill.lua). Resolves to whether it filled. While an older layout is
   * present (an upgrade), nothing is filled: its hashes are not fenced.
   */
  async fill(key: string, value: string, version: number, fence: string): Promise<boolean> {
    if (this.older?.present) return false;
    const p = this.k.partition(key);
    return (await this.redis.wbFill(this.k.cacheIn(p, key), this.k.fence(p), value, String(version), this.config.CACHE_TTL_MS, fence)) === 1;
  }

  /** Redis's own counts of keys it evicted and expired, from INFO stats. */
  async evictions(): Promise<{ evicted: number; expired: number }> {
    const nodes = isCluster(this.redis) ? this.redis.nodes("master") : [this.redis];
    const infos = await Promise.all(nodes.map((n) => n.info("stats")));
    const field = (name: string) => infos.reduce((sum, info) => sum + Number(new RegExp(`^${name}:(\\d+)`, "m").exec(info)?.[1] ?? 0), 0);
    return { evicted: field("evicted_keys"), expired: field("expired_keys") };
  }

  stats(): Promise<StreamStats> {
    return streamStats(this.redis, this.k);
  }

  deadLetters(count: number, after?: string): Promise<DeadLetterView[]> {
    return listDead(this.redis, this.k, count, after);
  }

  /** The oldest version a dead letter may hold to be re-driven: older ones may predate a purged tombstone. */
  minRedriveVersion(): number {
    return (Date.now() - this.config.TOMBSTONE_RETENTION_MS) * 1000;
  }

  /** Moves dead letters back to the stream (dead.ts: what is refused, what is left, what a partial move answers). */
  redrive(ids: string[], o?: { leaveExpired?: boolean }): Promise<Redriven> {
    return redrive(this.redis, this.k, ids, backlogShare(this.config, this.k), this.minRedriveVersion(), o);
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
