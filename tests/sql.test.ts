// Every embedded SQL statement parses and plans against a real Postgres, and migrations are
// idempotent even when several instances start at once.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { SQL } from "../src/store/sql";
import { connectDb, migrate, type Db } from "../src/store/db";
import { createDatabase } from "./helpers/services";

let db: Db;
let drop: () => Promise<void>;
beforeAll(async () => {
  const created = await createDatabase();
  drop = created.drop;
  db = connectDb({ url: created.url, max: 4, statementTimeoutMs: 5000, lockTimeoutMs: 2000 });
});
afterAll(async () => {
  await db.end();
  await drop();
});

test("every file in sql/ is embedded", () => {
  const files = readdirSync(`${import.meta.dir}/../sql`).map((f) => f.replace(/\.sql$/, ""));
  const camel = (s: string) => s.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
  expect(files.map(camel).sort()).toEqual(Object.keys(SQL).sort());
});

test("concurrent migrations are serialized and idempotent", async () => {
  await Promise.all([migrate(db), migrate(db), migrate(db), migrate(db)]);
  await migrate(db);
  const [row] = await db.unsafe<{ ok: boolean }[]>(SQL.ready);
  expect(row!.ok).toBe(true);
});

test("every statement plans", async () => {
  for (const [name, text] of Object.entries(SQL)) {
    if (name === "schema" || name === "metaSchema" || name === "migrateLock") continue; // DDL and a lock: run by migrate()
    // EXPLAIN parses and plans without running the statement; a bad statement throws here.
    const params = new Set(text.match(/\$\d+/g) ?? []).size;
    const plan = await db.unsafe(`EXPLAIN ${text}`, Array(params).fill(null));
    expect(plan.length).toBeGreaterThan(0);
  }
});
