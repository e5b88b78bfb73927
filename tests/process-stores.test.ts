// The service as a process on each store: kill -9 under load, the store away for 10 s, and a
// row the store rejects. The same cases for Postgres, MySQL/MariaDB and SQLite.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { openStore } from "../src/store/open";
import { sqlitePath } from "../src/store/sqlite/store";
import { set, startService, waitFor, type Running } from "../src/testing/process";
import { createStoreDatabase, PrivateRedis, STORE_KINDS, type StoreKind } from "../src/testing/services";
import { TcpProxy } from "./helpers/proxy";

setDefaultTimeout(90_000);

/** Runs a statement on the store's database as an operator would. */
async function exec(kind: StoreKind, url: string, statement: string): Promise<void> {
  if (kind === "postgres") {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    await sql.unsafe(statement);
    await sql.end();
  } else if (kind === "mysql") {
    const sql = new Bun.SQL(url);
    await sql.unsafe(statement);
    await sql.close();
  } else {
    const db = new Database(sqlitePath(url));
    db.exec(statement);
    db.close();
  }
}

/** Acknowledged writes, and which of them the store does not hold at their version (or newer). */
class Acked {
  readonly versions = new Map<string, { version: number; value: string }>();
  failures: string[] = [];
  async write(base: string, key: string, value: string): Promise<void> {
    const r = await set(base, key, value).catch((e) => e as Error);
    if (r instanceof Error) return void this.failures.push(String(r));
    if (r.status !== 200) return void this.failures.push(`${r.status} ${await r.text()}`);
    const { version } = (await r.json()) as { version: number };
    if ((this.versions.get(key)?.version ?? 0) < version) this.versions.set(key, { version, value });
  }
  async missing(url: string): Promise<string[]> {
    const store = openStore({ url, max: 1, statementTimeoutMs: 5000, lockTimeoutMs: 2000 });
    try {
      const rows = await store.getMany([...this.versions.keys()]);
      return [...this.versions].filter(([k, a]) => {
        const row = rows.get(k);
        return !row || row.version < a.version || (row.version === a.version && row.value !== a.value);
      }).map(([k]) => k);
    } catch {
      return [...this.versions.keys()];
    } finally {
      await store.close().catch(() => {});
    }
  }
}

describe.each(STORE_KINDS)("on %s", (kind) => {
  async function scene(fn: (ctx: { url: string; redis: PrivateRedis; start: (env?: Record<string, string>) => Promise<Running> }) => Promise<void>) {
    const db = await createStoreDatabase(kind);
    const redis = await PrivateRedis.start();
    const running: Running[] = [];
    try {
      await fn({
        url: db.url,
        redis,
        start: async (env = {}) => {
          const r = await startService({ REDIS_URL: redis.url, DATABASE_URL: db.url, KEY_PREFIX: "st:", CONSUMER_NAME: "st", FLUSH_BLOCK_MS: "100", FLUSH_RETRY_MAX_MS: "500", ...env });
          running.push(r);
          return r;
        },
      });
    } finally {
      for (const r of running) r.proc.kill(9);
      await Promise.all(running.map((r) => r.proc.exited));
      await redis.stop();
      await db.drop();
    }
  }

  test("kill -9 under load, then restart: every acknowledged write reaches the store", () =>
    scene(async ({ url, start }) => {
      const first = await start();
      const acked = new Acked();
      let stop = false;
      let n = 0;
      const load = Promise.all(Array.from({ length: 8 }, async () => { while (!stop) { const i = n++; await acked.write(first.base, `k:${i % 200}`, `v${i}`); } }));
      await waitFor("some writes", async () => acked.versions.size >= 100);
      first.proc.kill(9);
      stop = true;
      await load;
      await start();
      await waitFor("every acknowledged write persisted", async () => (await acked.missing(url)).length === 0, 30_000);
    }));

  test("the store away for 10 s under load: writes keep answering 200, and everything lands after", () =>
    scene(async ({ url, start }) => {
      let svcUrl = url;
      let proxy: TcpProxy | undefined;
      if (kind !== "sqlite") {
        const target = new URL(url);
        proxy = new TcpProxy("127.0.0.1", Number(target.port)).start();
        target.port = String(proxy.port);
        svcUrl = target.toString();
      }
      try {
        const svc = await start({ DATABASE_URL: svcUrl, DB_STATEMENT_TIMEOUT_MS: "1000" });
        const acked = new Acked();
        await acked.write(svc.base, "first", "x");
        await waitFor("the schema exists", async () => (await acked.missing(url)).length === 0);
        let stop = false;
        let n = 0;
        const load = Promise.all(Array.from({ length: 4 }, async () => { while (!stop) { const i = n++; await acked.write(svc.base, `u:${i % 100}`, `v${i}`); } }));
        await Bun.sleep(200);
        if (proxy) {
          proxy.cut();
          await Bun.sleep(10_000);
          proxy.restore();
        } else {
          // Another process's writer holds the file's write lock for 10 s.
          const holder = new Database(sqlitePath(url));
          holder.exec("PRAGMA busy_timeout = 5000"); // a flush may hold the lock at this moment: wait for it
          holder.exec("BEGIN IMMEDIATE");
          await Bun.sleep(10_000);
          holder.exec("COMMIT");
          holder.close();
        }
        stop = true;
        await load;
        expect(acked.failures).toEqual([]);
        expect(acked.versions.size).toBeGreaterThan(50);
        await waitFor("every acknowledged write persisted", async () => (await acked.missing(url)).length === 0, 30_000);
      } finally {
        proxy?.stop();
      }
    }));

  test("a row the store rejects goes to the dead letters; the rows around it persist", () =>
    scene(async ({ url, start }) => {
      const svc = await start();
      const acked = new Acked();
      await acked.write(svc.base, "before", "x");
      await waitFor("the schema exists", async () => (await acked.missing(url)).length === 0);
      const reject =
        kind === "sqlite"
          ? "CREATE TRIGGER no_poison BEFORE INSERT ON writeback_kv WHEN NEW.value = 'poison' BEGIN SELECT RAISE(ABORT, 'poison'); END"
          : "ALTER TABLE writeback_kv ADD CONSTRAINT no_poison CHECK (value <> 'poison')";
      await exec(kind, url, reject);
      await acked.write(svc.base, "a", "1");
      const poison = await set(svc.base, "bad", "poison");
      expect(poison.status).toBe(200);
      await acked.write(svc.base, "b", "2");
      await waitFor("the good rows persisted", async () => (await acked.missing(url)).length === 0);
      await waitFor("the bad row dead-lettered", async () => {
        const list = (await (await fetch(`${svc.base}/dead-letters`)).json()) as { deadLetters: { key: string; reason: string }[] };
        return list.deadLetters.some((d) => d.key === "bad" && d.reason === "rejected by the database");
      });
      const ready = (await (await fetch(`${svc.base}/ready`)).json()) as { checks: Record<string, string> };
      expect(ready.checks[kind]).toBe("ok"); // /ready names the store
    }));

  test("a database that does not exist: /ready says database_missing and the log how to create it; once created, the writes land", async () => {
    // Postgres and MySQL: a database name never created on the server; SQLite: a file in a
    // directory that does not exist (writeback creates the file, never its directory).
    let url: string;
    let create: () => Promise<void>;
    let cleanup: () => Promise<void>;
    if (kind === "sqlite") {
      const dir = mkdtempSync(join(tmpdir(), "wbmissing-"));
      url = `sqlite://${dir}/data/app.db`;
      create = async () => void mkdirSync(`${dir}/data`);
      cleanup = async () => rmSync(dir, { recursive: true, force: true });
    } else {
      const existing = await createStoreDatabase(kind);
      const name = `wbtest_missing_${Math.random().toString(36).slice(2, 8)}`;
      const u = new URL(existing.url);
      u.pathname = `/${name}`;
      url = u.toString();
      create = () => exec(kind, existing.url, `CREATE DATABASE ${name}`);
      cleanup = async () => {
        await exec(kind, existing.url, kind === "postgres" ? `DROP DATABASE IF EXISTS ${name} WITH (FORCE)` : `DROP DATABASE IF EXISTS ${name}`);
        await existing.drop();
      };
    }
    const redis = await PrivateRedis.start();
    let svc: Running | undefined;
    try {
      svc = await startService({ REDIS_URL: redis.url, DATABASE_URL: url, KEY_PREFIX: "mi:", CONSUMER_NAME: "mi", FLUSH_BLOCK_MS: "100", FLUSH_RETRY_MAX_MS: "500" });
      const acked = new Acked();
      await acked.write(svc.base, "k", "v");
      expect(acked.failures).toEqual([]);
      const ready = async () => {
        const r = await fetch(`${svc!.base}/ready`);
        return { status: r.status, checks: ((await r.json()) as { checks: Record<string, string> }).checks };
      };
      await waitFor("/ready says database_missing", async () => (await ready()).checks[kind] === "database_missing");
      expect((await ready()).status).toBe(503);
      const fix = kind === "sqlite" ? `mkdir -p ${url.replace("sqlite://", "").replace(/\/app\.db$/, "")}` : "CREATE DATABASE";
      await waitFor("the log says how to create it", async () => svc!.output().includes(fix));
      await create();
      await waitFor("/ready says ok", async () => (await ready()).status === 200, 30_000);
      await waitFor("the acknowledged write persisted", async () => (await acked.missing(url)).length === 0, 30_000);
    } finally {
      svc?.proc.kill(9);
      await svc?.proc.exited;
      await redis.stop();
      await cleanup();
    }
  });
});
