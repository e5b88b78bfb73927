// What the database refuses, or is too slow for, seen from the binary (issue 22): a row the
// store rejects goes to the dead letters while the rows of its batch persist, and a batch
// slower than DB_STATEMENT_TIMEOUT_MS is split until it goes through. Both hang on the
// classification of the driver's error, which minification once broke (every Postgres error
// read as transient: the batch was retried whole, forever).
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { Database } from "bun:sqlite";
import postgres from "postgres";
import { openStore } from "../src/store/open";
import { sqlitePath } from "../src/store/sqlite/store";
import { set, startService, waitFor, type Running } from "../src/testing/process";
import { createStoreDatabase, PrivateRedis, STORE_KINDS, type StoreKind } from "../src/testing/services";

setDefaultTimeout(90_000);

/** Runs statements on the store's database as an operator would. */
async function exec(kind: StoreKind, url: string, ...statements: string[]): Promise<void> {
  if (kind === "postgres") {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    for (const s of statements) await sql.unsafe(s);
    await sql.end();
  } else if (kind === "mysql") {
    const sql = new Bun.SQL(url, { max: 1 });
    for (const s of statements) await sql.unsafe(s);
    await sql.close();
  } else {
    const db = new Database(sqlitePath(url));
    for (const s of statements) db.exec(s);
    db.close();
  }
}

/** Keys whose row the store does not hold with `value`. */
async function notPersisted(url: string, want: Map<string, string>): Promise<string[]> {
  const store = openStore({ url, max: 1, statementTimeoutMs: 5000, lockTimeoutMs: 2000 });
  try {
    const rows = await store.getMany([...want.keys()]);
    return [...want].filter(([k, v]) => rows.get(k)?.value !== v).map(([k]) => k);
  } catch {
    return [...want.keys()];
  } finally {
    await store.close().catch(() => {});
  }
}

/** Writes every key (16 at a time); fails the test unless each is acknowledged. */
async function writeAll(base: string, values: Map<string, string>): Promise<void> {
  const todo = [...values];
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let next = todo.pop(); next; next = todo.pop()) expect((await set(base, next[0], next[1])).status).toBe(200);
    }),
  );
}

async function scene(kind: StoreKind, fn: (ctx: { url: string; start: (env?: Record<string, string>) => Promise<Running> }) => Promise<void>) {
  const db = await createStoreDatabase(kind);
  const redis = await PrivateRedis.start();
  const running: Running[] = [];
  try {
    await fn({
      url: db.url,
      start: async (env = {}) => {
        const r = await startService({ REDIS_URL: redis.url, DATABASE_URL: db.url, KEY_PREFIX: "rj:", FLUSH_RETRY_MAX_MS: "500", ...env });
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

describe.each(STORE_KINDS)("on %s", (kind) => {
  test("one poison among 201 writes: the poison is dead-lettered, the 200 others persist", () =>
    scene(kind, async ({ url, start }) => {
      const svc = await start();
      const warm = new Map([["warm", "x"]]);
      await writeAll(svc.base, warm);
      await waitFor("the schema exists", async () => (await notPersisted(url, warm)).length === 0);
      await exec(
        kind,
        url,
        kind === "sqlite"
          ? "CREATE TRIGGER no_poison BEFORE INSERT ON writeback_kv WHEN NEW.value = 'poison' BEGIN SELECT RAISE(ABORT, 'poison'); END"
          : "ALTER TABLE writeback_kv ADD CONSTRAINT no_poison CHECK (value <> 'poison')",
      );
      const good = new Map(Array.from({ length: 200 }, (_, i) => [`good:${i}`, `v${i}`] as const));
      await writeAll(svc.base, new Map([...good, ["bad", "poison"]]));
      await waitFor("the 200 good rows persisted", async () => (await notPersisted(url, good)).length === 0, 30_000);
      await waitFor("the poison dead-lettered", async () => {
        const list = (await (await fetch(`${svc.base}/dead-letters`)).json()) as { deadLetters: { key: string; reason: string }[] };
        return list.deadLetters.some((d) => d.key === "bad" && d.reason === "rejected by the database");
      });
      expect(await notPersisted(url, new Map([["bad", "poison"]]))).toEqual(["bad"]);
    }));
});

test("on postgres: a batch slower than DB_STATEMENT_TIMEOUT_MS is split and persisted, not retried whole", () =>
  scene("postgres", async ({ url, start }) => {
    const svc = await start({ DB_STATEMENT_TIMEOUT_MS: "500" });
    const warm = new Map([["warm", "x"]]);
    await writeAll(svc.base, warm);
    await waitFor("the schema exists", async () => (await notPersisted(url, warm)).length === 0);
    // Each row costs the statement 10 ms: a batch of more than ~50 rows runs past the timeout.
    await exec(
      "postgres",
      url,
      "CREATE FUNCTION slow_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.01); RETURN NEW; END $$",
      "CREATE TRIGGER slow_row BEFORE INSERT ON writeback_kv FOR EACH ROW EXECUTE FUNCTION slow_row()",
    );
    const values = new Map(Array.from({ length: 400 }, (_, i) => [`slow:${i}`, `v${i}`] as const));
    await writeAll(svc.base, values);
    await waitFor("every row persisted", async () => (await notPersisted(url, values)).length === 0, 60_000);
    expect(svc.output()).toContain("statements too slow or too large were split");
  }));
