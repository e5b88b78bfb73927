// Error classification per store, on the drivers' own error classes constructed in-process
// (tests/classify.test.ts gets the same errors from the real servers, and from a minified
// bundle): transient (retry the batch), split (too slow or too large), permanent (the rows are
// bad: dead-letter them). Decided by code, never by message; an error that is not the
// driver's (a refused socket, a deadline) is always transient.
import { Database, SQLiteError } from "bun:sqlite";
import { SQL } from "bun";
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ReplyError } from "ioredis";
import postgres from "postgres";
import { BackpressureError, ExpiredDeadLetterError, fromScriptError, isReplyError, NotAnIntegerError, OutOfRangeError, redisErrorCode } from "../../src/cache/errors";
import { classify as classifyMysql, errno } from "../../src/store/mysql/classify";
import { classify as classifyPostgres, sqlState } from "../../src/store/postgres/classify";
import { classify as classifySqlite, resultCode } from "../../src/store/sqlite/classify";
import { DeadlineError } from "../../src/store/store";

const pgError = (code: string) => new postgres.PostgresError({ code, message: `server said ${code}` } as never);
const mysqlError = (n: number) => new SQL.MySQLError(`server said ${n}`, { errno: n, code: "ER_X", sqlState: "HY000" } as never);
/** Not the driver's: a socket error whose code looks like a SQLSTATE, a deadline, an errno-carrying plain Error. */
const foreign = [Object.assign(new Error("write EPIPE"), { code: "EPIPE", errno: 32 }), new DeadlineError(1000), Object.assign(new Error("x"), { code: "23505" })];

describe("Postgres: by SQLSTATE class", () => {
  test.each([
    ["23505", "permanent"], // unique violation
    ["23514", "permanent"], // check constraint
    ["22P02", "permanent"], // bad input
    ["22001", "permanent"], // value too long
    ["54000", "permanent"], // program limit (an index row too large)
    ["P0001", "permanent"], // a trigger's exception
    ["57014", "split"], // statement timeout
    ["08006", "transient"], // connection failure
    ["40001", "transient"], // serialization failure
    ["40P01", "transient"], // deadlock
    ["42P01", "transient"], // missing table (an operator restoring)
    ["53100", "transient"], // disk full
    ["55P03", "transient"], // lock not available
    ["57P01", "transient"], // admin shutdown
    ["25006", "transient"], // read-only standby
    ["XX000", "transient"], // internal error
  ])("%s is %s", (code, want) => {
    expect(sqlState(pgError(code))).toBe(code);
    expect(classifyPostgres(pgError(code))).toBe(want as never);
  });
  test("an error postgres.js did not get from the server carries no SQLSTATE: transient", () => {
    for (const e of foreign) {
      expect(sqlState(e)).toBeUndefined();
      expect(classifyPostgres(e)).toBe("transient");
    }
  });
});

// Another change is under way to MySQL's table of codes: these are the rule's cases that
// table does not decide (the class, the default, the shape of a split).
describe("MySQL / MariaDB: by errno", () => {
  test.each([
    [1213, "transient"], // deadlock
    [1205, "transient"], // lock wait timeout
    [2013, "transient"], // lost connection
    [1969, "split"], // MariaDB max_statement_time
    [3024, "split"], // MySQL max_execution_time
    [1062, "permanent"], // duplicate entry
    [1406, "permanent"], // data too long
    [1366, "permanent"], // incorrect string value
  ])("%d is %s", (n, want) => {
    expect(errno(mysqlError(n))).toBe(n);
    expect(classifyMysql(mysqlError(n))).toBe(want as never);
  });
  test("an error without the server's errno (a connection failure) is transient, even with an errno of its own", () => {
    for (const e of foreign) {
      expect(errno(e)).toBeUndefined();
      expect(classifyMysql(e)).toBe("transient");
    }
  });
});

describe("SQLite: by result code", () => {
  const dir = mkdtempSync(join(tmpdir(), "wbunit-sqlite-"));
  const file = join(dir, "db.sqlite");
  const raised = (db: Database, sql: string): SQLiteError => {
    try {
      db.run(sql);
    } catch (err) {
      expect(err).toBeInstanceOf(SQLiteError);
      return err as SQLiteError;
    }
    throw new Error(`expected ${sql} to fail`);
  };

  test("a constraint (CHECK, NOT NULL, UNIQUE) is about the rows: permanent", () => {
    const db = new Database(":memory:");
    db.run("CREATE TABLE t (k TEXT PRIMARY KEY, v INT NOT NULL CHECK (v > 0))");
    db.run("INSERT INTO t VALUES ('a', 1)");
    for (const sql of ["INSERT INTO t VALUES ('b', -1)", "INSERT INTO t VALUES ('c', NULL)", "INSERT INTO t VALUES ('a', 2)"]) {
      const e = raised(db, sql);
      expect(resultCode(e)).toStartWith("SQLITE_CONSTRAINT");
      expect(classifySqlite(e)).toBe("permanent");
    }
    db.close();
  });

  test("a missing table (an operator restoring) and a busy database (another writer) are transient", () => {
    const a = new Database(file);
    const b = new Database(file);
    b.run("PRAGMA busy_timeout = 0");
    expect(classifySqlite(raised(a, "INSERT INTO nowhere VALUES (1)"))).toBe("transient");
    a.run("CREATE TABLE t (v INT)");
    a.run("BEGIN IMMEDIATE");
    const busy = raised(b, "INSERT INTO t VALUES (1)");
    expect(resultCode(busy)).toStartWith("SQLITE_BUSY");
    expect(classifySqlite(busy)).toBe("transient");
    a.run("ROLLBACK");
    a.close();
    b.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("an error that is not bun:sqlite's is transient", () => {
    for (const e of foreign) expect(classifySqlite(e)).toBe("transient");
  });
});

describe("Redis: reply errors become typed errors in one place (src/cache/errors.ts)", () => {
  test("the code is the reply's first word, only for a reply error (Redis answered and said no)", () => {
    expect(redisErrorCode(new ReplyError("OOM command not allowed"))).toBe("OOM");
    expect(isReplyError(new ReplyError("ERR x"))).toBe(true);
    expect(redisErrorCode(Object.assign(new Error("OOM lookalike"), { code: "OOM" }))).toBeUndefined();
    expect(isReplyError(new Error("Connection is closed."))).toBe(false);
  });

  test.each([
    ["WBBACKLOG the stream holds 100 entries", BackpressureError, "the stream holds 100 entries"],
    ["WBLAG the oldest entry is 9 s old", BackpressureError, "the oldest entry is 9 s old"],
    ["WBEXPIRED older than the retention", ExpiredDeadLetterError, "older than the retention"],
    ["WBNOTINT the value is not an integer", NotAnIntegerError, "the value is not an integer"],
    ["WBRANGE the result overflows", OutOfRangeError, "the result overflows"],
  ])("%s", (reply, type, message) => {
    const e = fromScriptError(new ReplyError(reply)) as Error;
    expect(e).toBeInstanceOf(type);
    expect(e.message).toBe(message);
  });

  test("backpressure says which limit refused; any other error comes back as it is", () => {
    expect((fromScriptError(new ReplyError("WBLAG x")) as BackpressureError).limit).toBe("lag");
    expect((fromScriptError(new ReplyError("WBBACKLOG x")) as BackpressureError).limit).toBe("backlog");
    const other = new ReplyError("ERR unknown");
    expect(fromScriptError(other)).toBe(other);
    const down = new Error("ECONNREFUSED");
    expect(fromScriptError(down)).toBe(down);
  });
});
