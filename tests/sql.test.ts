// Every embedded SQL statement parses and plans against a real Postgres, and migrations are
// idempotent even when several instances start at once.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import * as MYSQL from "../src/store/mysql/sql";
import { MIGRATIONS, SQL } from "../src/store/postgres/sql";
import * as SQLITE from "../src/store/sqlite/sql";
import postgres from "postgres";
import { PostgresStore } from "../src/store/postgres/store";
import { createDatabase } from "../src/testing/services";

let db: postgres.Sql;
let store: PostgresStore;
let drop: () => Promise<void>;
beforeAll(async () => {
  const created = await createDatabase();
  drop = created.drop;
  db = postgres(created.url, { max: 1, onnotice: () => {} });
  store = new PostgresStore({ url: created.url, max: 4, statementTimeoutMs: 5000, lockTimeoutMs: 2000 });
});
afterAll(async () => {
  try {
    await db?.end();
    await store?.close();
  } finally {
    await drop?.();
  }
});

test.each([
  ["postgres", SQL, MIGRATIONS],
  ["mysql", MYSQL.SQL, MYSQL.MIGRATIONS],
  ["sqlite", SQLITE.SQL, SQLITE.MIGRATIONS],
] as const)("every file in sql/%s/ is embedded, and every migration, numbered in order", (dialect, statements, migrations) => {
  const dir = `${import.meta.dir}/../sql/${dialect}`;
  const files = readdirSync(dir).filter((f) => f.endsWith(".sql")).map((f) => f.replace(/\.sql$/, ""));
  const camel = (s: string) => s.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
  expect(files.map(camel).sort()).toEqual(Object.keys(statements).sort());
  const numbered = readdirSync(`${dir}/migrations`).map((f) => f.replace(/\.sql$/, "")).sort();
  expect(migrations.map((m) => m.name)).toEqual(numbered);
  expect(migrations.map((m) => m.id)).toEqual(numbered.map((_, i) => i + 1));
  for (const m of migrations) expect(m.name.startsWith(String(m.id).padStart(4, "0") + "_")).toBe(true);
});

test("concurrent migrations are serialized and idempotent", async () => {
  await Promise.all([store.migrate(), store.migrate(), store.migrate(), store.migrate()]);
  await store.migrate();
  const [row] = await db.unsafe<{ ok: boolean }[]>(SQL.ready);
  expect(row!.ok).toBe(true);
});

test("every statement plans", async () => {
  for (const [name, text] of Object.entries(SQL)) {
    if (name === "migrationsTable" || name === "migrateLock") continue; // DDL and a lock: run by migrate()
    // EXPLAIN parses and plans without running the statement; a bad statement throws here.
    const params = new Set(text.match(/\$\d+/g) ?? []).size;
    const plan = await db.unsafe(`EXPLAIN ${text}`, Array(params).fill(null));
    expect(plan.length).toBeGreaterThan(0);
  }
});
