// Test and bench support (never imported by the service). Isolation: a random key prefix per
// test file on the shared Redis, a database of its own per test file (or test) on the shared
// Postgres, and private redis-server processes for tests that inject faults. Nothing here
// flushes, kills or reconfigures the shared services.
import postgres from "postgres";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Redis from "ioredis";

export const SHARED_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
// The password is the compose file's; a server that trusts local connections ignores it.
export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? "postgres://postgres:postgres@127.0.0.1:5432/postgres";

const randomId = () => Math.random().toString(36).slice(2, 10);
export const testPrefix = () => `wbtest:${randomId()}:`;

/** Creates a database for one test file; returns its URL and a function that drops it. */
export async function createDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `wbtest_${randomId()}`;
  const admin = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const a = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
      await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

export const MYSQL_ADMIN_URL = process.env.TEST_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/test";

export type StoreKind = "postgres" | "mysql" | "sqlite";
export const STORE_KINDS: StoreKind[] = ["postgres", "mysql", "sqlite"];

/** A database of its own on the given store (a file for SQLite); its URL and a function that drops it. */
export async function createStoreDatabase(kind: StoreKind): Promise<{ url: string; drop: () => Promise<void> }> {
  if (kind === "postgres") return createDatabase();
  const name = `wbtest_${randomId()}`;
  if (kind === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "wbsqlite-"));
    return { url: `sqlite://${dir}/${name}.db`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const admin = new Bun.SQL(MYSQL_ADMIN_URL);
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.close();
  const url = new URL(MYSQL_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const a = new Bun.SQL(MYSQL_ADMIN_URL);
      await a.unsafe(`DROP DATABASE IF EXISTS ${name}`);
      await a.close();
    },
  };
}

/** Deletes every key of a test prefix on the shared Redis (never FLUSHALL there). */
export async function dropPrefix(prefix: string): Promise<void> {
  // Fail fast: a cleanup must not hang (or retry forever) when Redis is gone.
  const r = new Redis(SHARED_REDIS_URL, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 5000 });
  r.on("error", () => {});
  try {
    await r.connect();
    let cursor = "0";
    do {
      const [next, found] = await r.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      if (found.length) await r.del(...found);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    r.disconnect();
  }
}

export async function freePort(): Promise<number> {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}

/** A private redis-server (AOF on, fsync always unless told otherwise) that a test may kill. */
export class PrivateRedis {
  proc?: ReturnType<typeof Bun.spawn>;
  readonly dir = mkdtempSync(join(tmpdir(), "wbredis-"));
  constructor(
    readonly port: number,
    private extra: string[] = [],
  ) {}

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(extra: string[] = []): Promise<PrivateRedis> {
    const r = new PrivateRedis(await freePort(), extra);
    await r.start();
    return r;
  }

  async start(): Promise<void> {
    this.proc = Bun.spawn(
      ["redis-server", "--port", String(this.port), "--bind", "127.0.0.1", "--dir", this.dir, "--save", "",
        "--appendonly", "yes", "--appendfsync", "always", ...this.extra],
      { stdout: "ignore", stderr: "inherit" },
    );
    const deadline = Date.now() + 10_000;
    for (;;) {
      const probe = new Redis(this.url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      probe.on("error", () => {});
      try {
        await probe.connect();
        // A restarted server answers LOADING while it replays the AOF.
        if ((await probe.ping()) === "PONG") {
          probe.disconnect();
          return;
        }
      } catch {
        // not up yet
      }
      probe.disconnect();
      if (Date.now() > deadline) throw new Error(`redis-server on ${this.port} did not start`);
      await Bun.sleep(50);
    }
  }

  /** kill -9: whatever AOF holds survives, nothing else. */
  async kill(): Promise<void> {
    this.proc?.kill(9);
    await this.proc?.exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A private Redis Cluster for tests: `masters` masters with one replica each, on free ports,
 * created with redis-cli --cluster create, torn down by stop().
 */
export class PrivateCluster {
  private constructor(readonly nodes: PrivateRedis[]) {}

  /** REDIS_URL listing the masters' seeds (any node would do: the client discovers the rest). */
  get url(): string {
    return `redis://${this.nodes.map((n) => `127.0.0.1:${n.port}`).join(",")}`;
  }

  static async start(masters = 3, extra: string[] = []): Promise<PrivateCluster> {
    const nodes: PrivateRedis[] = [];
    for (let i = 0; i < masters * 2; i++) {
      const port = await freePort();
      nodes.push(new PrivateRedis(port, ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000", "--appendfsync", "everysec", ...extra]));
    }
    await Promise.all(nodes.map((n) => n.start()));
    const create = Bun.spawn(
      ["redis-cli", "--cluster", "create", ...nodes.map((n) => `127.0.0.1:${n.port}`), "--cluster-replicas", "1", "--cluster-yes"],
      { stdout: "pipe", stderr: "pipe" },
    );
    if ((await create.exited) !== 0) throw new Error(`redis-cli --cluster create failed: ${await new Response(create.stdout).text()}`);
    const c = new PrivateCluster(nodes);
    await c.waitOk();
    return c;
  }

  /** Waits until every live node reports cluster_state:ok and knows every slot, and every replica is in sync. */
  async waitOk(ms = 30_000, nodes = this.nodes.filter((n) => n.proc && n.proc.exitCode === null && !n.proc.killed)): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      let ok = true;
      for (const n of nodes) {
        const r = new Redis(n.url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
        r.on("error", () => {});
        try {
          await r.connect();
          const info = (await r.call("CLUSTER", "INFO")) as string;
          if (!/cluster_state:ok/.test(info) || !/cluster_slots_ok:16384/.test(info)) ok = false;
          // A replica that has not synced yet would not take over from a failed master.
          const repl = await r.info("replication");
          if (/role:slave/.test(repl) && !/master_link_status:up/.test(repl)) ok = false;
        } catch {
          ok = false;
        }
        r.disconnect();
      }
      if (ok) return;
      if (Date.now() > deadline) throw new Error("the test cluster did not reach cluster_state:ok");
      await Bun.sleep(200);
    }
  }

  /** The node serving `slot` as master. */
  async masterOf(slot: number): Promise<PrivateRedis> {
    for (const n of this.nodes) {
      if (!n.proc || n.proc.exitCode !== null || n.proc.killed) continue;
      const r = new Redis(n.url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      r.on("error", () => {});
      try {
        await r.connect();
        const slots = (await r.call("CLUSTER", "SLOTS")) as [number, number, [string, number]][];
        r.disconnect();
        for (const [from, to, [, port]] of slots) if (slot >= from && slot <= to) return this.nodes.find((x) => x.port === port)!;
      } catch {
        r.disconnect();
      }
    }
    throw new Error(`no master found for slot ${slot}`);
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}
