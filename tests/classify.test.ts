// Each store's classifier, and the reading of Redis's error replies, on errors the real drivers
// raise against the real servers: from source, and from a minified bundle built with the flags
// of `bun run build`, where class names are renamed (issue 22: in the binary no Postgres error
// was recognised, so a rejected row's batch was retried whole forever).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, MYSQL_ADMIN_URL, PG_ADMIN_URL, SHARED_REDIS_URL } from "../src/testing/services";

type Classifiers = typeof import("./helpers/classifiers");

const ENTRY = join(import.meta.dir, "helpers/classifiers.ts");
const bundleDir = mkdtempSync(join(tmpdir(), "wbclassify-"));
afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

async function load(how: string): Promise<Classifiers> {
  if (how === "source") return import(ENTRY);
  const built = await Bun.build({ entrypoints: [ENTRY], target: "bun", minify: true, outdir: bundleDir, naming: "classifiers.[hash].js" });
  if (!built.success) throw new AggregateError(built.logs, "could not bundle the classifiers");
  return import(built.outputs[0]!.path);
}

/** The error `work` rejects with (fails the test if it resolves). */
async function failure(work: () => Promise<unknown> | unknown): Promise<Error> {
  try {
    await work();
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected the driver to fail");
}

describe.each(["source", "minified bundle"])("from %s", (how) => {
  let m: Classifiers;
  beforeAll(async () => {
    m = await load(how);
  });

  describe("Postgres (postgres.js)", () => {
    let sql: ReturnType<Classifiers["postgres"]>;
    beforeAll(() => {
      sql = m.postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
    });
    afterAll(() => sql?.end());

    test("a CHECK constraint's refusal (23514) and bad input (22P02) are about the rows: permanent", async () => {
      const check = await failure(() =>
        sql.begin(async (tx) => {
          await tx.unsafe("CREATE TEMP TABLE poison (v text CHECK (v <> 'poison')) ON COMMIT DROP");
          await tx.unsafe("INSERT INTO poison VALUES ('poison')");
        }),
      );
      expect(m.sqlState(check)).toBe("23514");
      expect(m.classifyPostgres(check)).toBe("permanent");
      const bad = await failure(() => sql.unsafe("SELECT 'x'::int"));
      expect(m.sqlState(bad)).toBe("22P02");
      expect(m.classifyPostgres(bad)).toBe("permanent");
    });

    test("a statement past statement_timeout (57014) splits the batch", async () => {
      const slow = await failure(() =>
        sql.begin(async (tx) => {
          await tx.unsafe("SET LOCAL statement_timeout = 50");
          await tx.unsafe("SELECT pg_sleep(5)");
        }),
      );
      expect(m.sqlState(slow)).toBe("57014");
      expect(m.classifyPostgres(slow)).toBe("split");
    });

    test("a missing table (42P01) and a refused connection are about the database: transient", async () => {
      const missing = await failure(() => sql.unsafe("SELECT * FROM no_such_table_wb"));
      expect(m.sqlState(missing)).toBe("42P01");
      expect(m.classifyPostgres(missing)).toBe("transient");
      const url = new URL(PG_ADMIN_URL);
      url.port = String(await freePort());
      const down = m.postgres(url.toString(), { max: 1, connect_timeout: 2, onnotice: () => {} });
      const refused = await failure(() => down.unsafe("SELECT 1"));
      await down.end();
      expect(m.sqlState(refused)).toBeUndefined(); // ECONNREFUSED is five capitals too, and no SQLSTATE
      expect(m.classifyPostgres(refused)).toBe("transient");
    });

    test("the log names the SQLSTATE, and no class name that minification changes", async () => {
      const bad = await failure(() => sql.unsafe("SELECT 1/0"));
      expect(m.errorFields(bad)).toEqual({ err: "division by zero", errCode: "22012" });
      expect(m.errorFields(new TypeError("t"))).toEqual({ err: "t", errName: "TypeError" });
    });
  });

  describe("MySQL / MariaDB (Bun.SQL)", () => {
    let sql: InstanceType<Classifiers["SQL"]>;
    beforeAll(() => {
      sql = new m.SQL(MYSQL_ADMIN_URL, { max: 1 });
    });
    afterAll(() => sql?.close());

    test("a CHECK constraint's refusal is about the row: permanent", async () => {
      await sql.unsafe("CREATE TEMPORARY TABLE poison (v varchar(20) CHECK (v <> 'poison'))");
      const check = await failure(() => sql.unsafe("INSERT INTO poison VALUES ('poison')"));
      await sql.unsafe("DROP TEMPORARY TABLE poison");
      expect(m.errno(check)).toBeNumber();
      expect(m.classifyMysql(check)).toBe("permanent");
    });

    test("a statement past max_statement_time (1969) splits the batch", async () => {
      const slow = await failure(() => sql.unsafe("SET STATEMENT max_statement_time = 0.05 FOR SELECT SLEEP(5) FROM (SELECT 1 UNION SELECT 2) t"));
      expect(m.errno(slow)).toBe(1969);
      expect(m.classifyMysql(slow)).toBe("split");
    });

    test("a missing table (1146) and a refused connection are transient", async () => {
      const missing = await failure(() => sql.unsafe("SELECT * FROM no_such_table_wb"));
      expect(m.errno(missing)).toBe(1146);
      expect(m.classifyMysql(missing)).toBe("transient");
      const url = new URL(MYSQL_ADMIN_URL);
      url.port = String(await freePort());
      const down = new m.SQL(url.toString(), { max: 1, connectionTimeout: 2 });
      const refused = await failure(() => down.unsafe("SELECT 1"));
      await down.close().catch(() => {});
      expect(m.errno(refused)).toBeUndefined();
      expect(m.classifyMysql(refused)).toBe("transient");
    });
  });

  describe("SQLite (bun:sqlite)", () => {
    const dir = mkdtempSync(join(tmpdir(), "wbclassify-sqlite-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    test("a CHECK constraint's refusal is permanent; a blob too big for SQLite is too_large (split, then dead-lettered alone); a missing table is transient", async () => {
      const db = new m.Database(":memory:");
      db.exec("CREATE TABLE poison (v text CHECK (v <> 'poison'))");
      const check = await failure(() => db.exec("INSERT INTO poison VALUES ('poison')"));
      expect(m.resultCode(check)).toBe("SQLITE_CONSTRAINT_CHECK");
      expect(m.classifySqlite(check)).toBe("permanent");
      const big = await failure(() => db.query("SELECT zeroblob(2000000000)").get());
      expect(m.resultCode(big)).toBe("SQLITE_TOOBIG");
      expect(m.classifySqlite(big)).toBe("too_large");
      const missing = await failure(() => db.exec("SELECT * FROM no_such_table_wb"));
      expect(m.resultCode(missing)).toBe("SQLITE_ERROR");
      expect(m.classifySqlite(missing)).toBe("transient");
      db.close();
    });

    test("another writer's lock (SQLITE_BUSY) is transient", async () => {
      const file = join(dir, `busy-${how.replace(/\W/g, "")}.db`);
      const holder = new m.Database(file, { create: true });
      holder.exec("CREATE TABLE t (v int)");
      holder.exec("BEGIN IMMEDIATE");
      const other = new m.Database(file);
      other.exec("PRAGMA busy_timeout = 0");
      const busy = await failure(() => other.exec("INSERT INTO t VALUES (1)"));
      holder.exec("ROLLBACK");
      holder.close();
      other.close();
      expect(m.resultCode(busy)).toBe("SQLITE_BUSY");
      expect(m.classifySqlite(busy)).toBe("transient");
    });
  });

  describe("Redis (ioredis)", () => {
    test("a reply error is read by its first word; a script's refusal becomes a typed error; a refused connection is no reply", async () => {
      const redis = new m.Redis(SHARED_REDIS_URL, { maxRetriesPerRequest: 0 });
      try {
        const unknown = await failure(() => redis.call("WBNOSUCHCOMMAND"));
        expect(m.redisErrorCode(unknown)).toBe("ERR");
        const refused = await failure(() => redis.eval("return redis.error_reply('WBBACKLOG the stream holds 10 entries')", 0));
        expect(m.redisErrorCode(refused)).toBe("WBBACKLOG");
        const typed = m.fromScriptError(refused);
        expect(typed).toBeInstanceOf(m.BackpressureError);
        expect(typed).toMatchObject({ code: "BACKPRESSURE", limit: "backlog" });
      } finally {
        redis.disconnect();
      }
      const down = new m.Redis(`redis://127.0.0.1:${await freePort()}`, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      down.on("error", () => {});
      const noReply = await failure(() => down.connect());
      down.disconnect();
      expect(m.redisErrorCode(noReply)).toBeUndefined();
    });
  });
});
