// The system under check and the faults the nemesis injects: the compiled binary
// (startService), a private redis-server (small maxmemory, volatile-lru, AOF with fsync
// always, so acknowledged writes survive its kill -9), a database of its own on the shared
// Postgres reached through a proxy the check cuts and slows, and a direct connection to that
// database to read the final rows. One World serves every run of a check; runs keep apart by
// their own keys.
import postgres from "postgres";
import Redis from "ioredis";
import { keys as redisKeys, type Keys } from "../../src/keys";
import { startService, type Running } from "../../src/testing/process";
import { createDatabase, PrivateRedis } from "../../src/testing/services";
import type { Row } from "./history";
import { StallingProxy, type SlowTarget } from "./proxy";

const PARTITIONS = 4;
/** Redis's memory limit: a few ballast writes (squeeze) make it evict. */
const MAXMEMORY = 3 * 1024 * 1024;
const BALLAST_VALUE = "b".repeat(64 * 1024);

/** mulberry32: a small seeded random source, so a seed replays the same delays. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ServiceParams {
  ttlMs: number;
  lingerMs: number;
}

export class World {
  service?: Running;
  /** set before we stop the service ourselves: any other exit is a finding */
  private stopping = false;
  private exits: string[] = [];
  private random: () => number = Math.random;
  private ballast = 0;
  private evictedBefore = 0;
  readonly counts = { serviceRestarts: 0, kills: 0, redisRestarts: 0, cuts: 0, slowdowns: 0, squeezes: 0, evictions: 0 };
  private params: ServiceParams = { ttlMs: 50, lingerMs: 10 };

  private constructor(
    readonly redis: PrivateRedis,
    private readonly admin: Redis,
    private readonly db: { url: string; drop: () => Promise<void> },
    readonly proxy: StallingProxy,
    private readonly sql: postgres.Sql,
    readonly prefix: string,
    readonly keys: Keys,
  ) {}

  static async open(): Promise<World> {
    const redis = await PrivateRedis.start(["--maxmemory", String(MAXMEMORY), "--maxmemory-policy", "volatile-lru"]);
    const admin = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    admin.on("error", () => {});
    const db = await createDatabase();
    let world: World | undefined;
    const proxy = new StallingProxy("127.0.0.1", Number(new URL(db.url).port || 5432), () => world!.random()).start();
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    const prefix = `model${Math.random().toString(36).slice(2, 7)}:`;
    world = new World(redis, admin, db, proxy, sql, prefix, redisKeys(prefix, PARTITIONS));
    return world;
  }

  get base(): string {
    return this.service!.base;
  }

  /** The delays of this run come from its seed. */
  reseed(seed: number): void {
    this.random = seeded(seed);
  }

  private env(p: ServiceParams): Record<string, string> {
    const dbUrl = new URL(this.db.url);
    dbUrl.port = String(this.proxy.port);
    return {
      REDIS_URL: this.redis.url,
      DATABASE_URL: dbUrl.toString(),
      KEY_PREFIX: this.prefix,
      STREAM_PARTITIONS: String(PARTITIONS),
      CONSUMER_NAME: "model", // the same after a restart: a restarted instance re-reads its own pending entries
      CACHE_TTL_MS: String(p.ttlMs),
      FLUSH_LINGER_MS: String(p.lingerMs),
      FLUSH_BLOCK_MS: "200",
      FLUSH_CLAIM_IDLE_MS: "1000",
      FLUSH_CLAIM_INTERVAL_MS: "200",
      SHUTDOWN_GRACE_MS: "1000",
      REDIS_COMMAND_TIMEOUT_MS: "1000",
    };
  }

  /** Starts the service (stopping the running one with `signal` first). */
  async restart(p: Partial<ServiceParams> = {}, signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> {
    this.params = { ...this.params, ...p };
    if (this.service) {
      const old = this.service;
      this.stopping = true;
      if (signal === "SIGKILL") this.counts.kills++;
      old.proc.kill(signal);
      await old.proc.exited;
      this.stopping = false;
      this.counts.serviceRestarts++;
    }
    const s = await startService(this.env(this.params));
    this.service = s;
    void s.proc.exited.then((code) => {
      if (!this.stopping && this.service === s) this.exits.push(`the service exited by itself (${code ?? s.proc.signalCode}):\n${s.output().slice(-2000)}`);
    });
  }

  /** Exits of the service nobody asked for since the last call. */
  takeExits(): string[] {
    return this.exits.splice(0);
  }

  cutDb(): void {
    this.counts.cuts++;
    this.proxy.cut();
  }

  restoreDb(): void {
    this.proxy.restore();
  }

  slowDb(target: SlowTarget, ms: number): void {
    if (target !== "none") this.counts.slowdowns++;
    this.proxy.slow(target, ms);
  }

  /** redis-server kill -9 and start again on its AOF (fsync always: nothing acknowledged lost). */
  async restartRedis(): Promise<void> {
    this.counts.redisRestarts++;
    this.evictedBefore = await this.evictedByRedis(); // a restart zeroes Redis's count
    await this.redis.kill();
    await this.redis.start();
  }

  /** Memory pressure: ballast with a TTL past maxmemory, so volatile-lru evicts (ballast, and clean cache entries). */
  async squeeze(): Promise<void> {
    this.counts.squeezes++;
    const pipe = this.admin.pipeline();
    for (let i = 0; i < 40; i++) pipe.set(`ballast:${this.ballast++}`, BALLAST_VALUE, "PX", 30_000);
    await pipe.exec().catch(() => {});
  }

  /**
   * What volatile-lru does when it picks this key: removes its cache entry if it has a TTL
   * (only a clean, persisted entry has one). Forced, so a run can aim it at a key.
   */
  async evict(key: string): Promise<boolean> {
    const gone = (await this.admin
      .eval("if redis.call('PTTL', KEYS[1]) > 0 then return redis.call('DEL', KEYS[1]) end return 0", 1, this.keys.cache(key))
      .catch(() => 0)) as number;
    if (gone) this.counts.evictions++;
    return gone === 1;
  }

  /** Redis's own count of evicted keys, over its restarts. */
  async evictedByRedis(): Promise<number> {
    const info = await this.admin.info("stats").catch(() => "");
    return this.evictedBefore + Number(/evicted_keys:(\d+)/.exec(info)?.[1] ?? 0);
  }

  /** Ends every fault: the database answers at once again, the service runs. */
  async heal(): Promise<void> {
    this.proxy.restore();
    this.proxy.slow("none", 0);
    if (!this.service || this.service.proc.exitCode !== null || this.service.proc.signalCode !== null) {
      this.service = undefined;
      await this.restart();
    }
  }

  /** The database's rows of `keys` (a tombstone has value null). */
  async rows(keys: string[]): Promise<Map<string, Row | null>> {
    const found = await this.sql<{ key: string; value: string | null; version: string }[]>`
      SELECT key, value, version::text FROM writeback_kv WHERE key IN ${this.sql(keys)}`.catch((err) => {
      if ((err as { code?: string }).code === "42P01") return []; // nothing flushed yet: no table
      throw err;
    });
    const m = new Map<string, Row | null>(keys.map((k) => [k, null]));
    for (const r of found) m.set(r.key, { value: r.value, version: Number(r.version) });
    return m;
  }

  async close(): Promise<void> {
    this.stopping = true;
    this.service?.proc.kill(9);
    await this.service?.proc.exited;
    this.proxy.stop();
    this.admin.disconnect();
    await this.sql.end();
    await this.redis.stop();
    await this.db.drop();
  }
}
