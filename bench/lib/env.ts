// What a bench run stands on: a private redis-server (AOF, fsync every second, as in
// docker-compose.yml), a database of its own on the local Postgres, and the processes under
// test. Nothing here touches the shared Redis or any other database.
import postgres from "postgres";
import { connect, type WritebackRedis } from "../../src/cache/redis";
import { setScriptArgs } from "../../src/cache/writer";
import { CpuMeter, pidsNamed } from "./procfs";
import { keys, type Keys } from "../../src/keys";
import { loadConfig } from "../../src/config";
import { backlog } from "../../src/cache/read";
import { PostgresStore } from "../../src/store/postgres/store";
import { startService, type Running } from "../../src/testing/process";
import { createDatabase, freePort, PrivateRedis } from "../../src/testing/services";

const ROOT = `${import.meta.dir}/../..`;
export const BINARY = `${ROOT}/dist/writeback`;
export const VALUE = "x".repeat(32);

export interface System {
  name: string;
  base: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export class BenchEnv {
  /** the layout of the service as the bench starts it (STREAM_PARTITIONS from serviceEnv, else the default) */
  readonly k: Keys;
  private constructor(
    readonly redis: PrivateRedis,
    readonly client: WritebackRedis,
    readonly dbUrl: string,
    readonly sql: postgres.Sql,
    private dropDb: () => Promise<void>,
    readonly serviceEnv: Record<string, string>,
  ) {
    this.k = keys("wb:", loadConfig({ STREAM_PARTITIONS: serviceEnv.STREAM_PARTITIONS }).STREAM_PARTITIONS);
  }

  static async create(serviceEnv: Record<string, string>): Promise<BenchEnv> {
    const redis = await PrivateRedis.start(["--appendfsync", "everysec"]);
    const db = await createDatabase();
    const client = connect(redis.url, "flusher", 10_000);
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    const store = new PostgresStore({ url: db.url, max: 1, statementTimeoutMs: 60_000, lockTimeoutMs: 10_000 });
    await store.migrate();
    await store.close();
    return new BenchEnv(redis, client, db.url, sql, db.drop, serviceEnv);
  }

  /** The compiled writeback binary, as users run it. */
  async startWriteback(extra: Record<string, string> = {}, name = "writeback"): Promise<System> {
    const env = { REDIS_URL: this.redis.url, DATABASE_URL: this.dbUrl, KEY_PREFIX: "wb:", ...this.serviceEnv, ...extra };
    return system(name, await startService(env, { cmd: [BINARY] }));
  }

  /**
   * writeback on an empty Redis and an empty table, so each scenario starts from the same
   * state instead of inheriting millions of keys (and their AOF rewrites) from the last one.
   * FLUSHALL is safe here: this Redis is the bench's own.
   */
  async freshWriteback(): Promise<System> {
    await this.client.flushall();
    await this.truncate();
    return this.startWriteback();
  }

  /** One of bench/baselines/*.ts, run from source by Bun. */
  async startBaseline(name: string, file: string, prefix: string): Promise<System> {
    const env = { REDIS_URL: this.redis.url, DATABASE_URL: this.dbUrl, KEY_PREFIX: prefix };
    return system(name, await startService(env, { cmd: ["bun", `${ROOT}/bench/baselines/${file}`] }));
  }

  /** Writes through the real write script straight into Redis (500 writes a call), for drain runs. */
  async fill(n: number, key: (i: number) => string, value = VALUE, k: Keys = this.k): Promise<void> {
    const PER_CALL = 500;
    const PIPE = 20;
    for (let i = 0; i < n; i += PER_CALL * PIPE) {
      const p = this.client.pipeline() as unknown as WritebackRedis & { exec(): Promise<unknown> };
      for (let j = i; j < Math.min(n, i + PER_CALL * PIPE); j += PER_CALL) {
        const writes = Array.from({ length: Math.min(PER_CALL, n - j) }, (_, x) => ({ op: "s" as const, key: key(j + x), value }));
        p.wbSet(...setScriptArgs(k, writes, 0, 0));
      }
      await p.exec();
    }
  }

  /** CPU of a writeback process, this run's Redis and every Postgres process. */
  cpuMeter(writebackPid: number): CpuMeter {
    return new CpuMeter({
      writeback: () => [writebackPid],
      redis: () => [this.redis.proc!.pid],
      postgres: () => pidsNamed("postgres"),
    });
  }

  /** Entries in the streams of layout `k` (the service's default layout unless given). */
  backlog(k: Keys = this.k): Promise<number> {
    return backlog(this.client, k);
  }

  async waitDrained(timeoutMs = 600_000, k: Keys = this.k): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.backlog(k)) > 0) {
      if (Date.now() > deadline) throw new Error("backlog did not drain");
      await Bun.sleep(50);
    }
  }

  /**
   * Lets the work a previous run left behind finish before the next one starts, so that it is
   * not charged to whichever system runs next: Postgres's dirty pages (CHECKPOINT) and an AOF
   * rewrite of the bench Redis (a fork copying what may be gigabytes of cache).
   */
  async settle(timeoutMs = 300_000): Promise<void> {
    await this.sql`CHECKPOINT`;
    const deadline = Date.now() + timeoutMs;
    while (/aof_rewrite_in_progress:1|aof_rewrite_scheduled:1/.test(await this.client.info("persistence"))) {
      if (Date.now() > deadline) throw new Error("AOF rewrite did not finish");
      await Bun.sleep(100);
    }
  }

  async truncate(): Promise<void> {
    await this.sql`TRUNCATE writeback_kv`;
  }

  async close(): Promise<void> {
    this.client.disconnect();
    await this.sql.end();
    await this.redis.stop();
    await this.dropDb();
  }
}

function system(name: string, r: Running): System {
  return {
    name,
    base: r.base,
    port: r.port,
    pid: r.proc.pid,
    async stop() {
      r.proc.kill("SIGTERM");
      await r.proc.exited;
    },
  };
}

export { freePort };
