// The MySQL schema's times: updated_at was TIMESTAMP(6), which ends on 2038-01-19 (MySQL 8,
// MariaDB before 11.5): from then on every upsert would fail as a data error and go to the dead
// letters. A numbered migration makes it DATETIME(6) holding UTC; this checks it on a database
// made by the previous migration set, with rows in it.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { MysqlStore } from "../src/store/mysql/store";
import { MIGRATIONS, SQL } from "../src/store/mysql/sql";
import { createStoreDatabase } from "../src/testing/services";

let url: string;
let drop: () => Promise<void>;
let sql: InstanceType<typeof Bun.SQL>;
beforeAll(async () => {
  ({ url, drop } = await createStoreDatabase("mysql"));
  sql = new Bun.SQL({ url, max: 1 });
});
afterAll(async () => {
  await sql.close();
  await drop();
});

/** What the release before this migration left: the migrations table and 0001, recorded. */
async function previousRelease(): Promise<void> {
  await sql.unsafe(SQL.migrationsTable);
  for (const statement of MIGRATIONS[0]!.sql.split(/;\s*$/m).map((x) => x.trim()).filter((x) => x && !/^(--[^\n]*\n?)*$/.test(x))) {
    await sql.unsafe(statement);
  }
  await sql.unsafe(SQL.migrationRecord, [1, MIGRATIONS[0]!.name]);
}

const typeOf = async (table: string, column: string) =>
  ((await sql.unsafe("SELECT DATA_TYPE AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?", [table, column])) as { t: string }[])[0]?.t;

test("a database of the previous release, with rows, migrates to DATETIME(6) in UTC; times past 2038 fit", async () => {
  await previousRelease();
  expect(await typeOf("writeback_kv", "updated_at")).toBe("timestamp");
  await sql.unsafe("SET time_zone = '+00:00'");
  await sql.unsafe(
    "INSERT INTO writeback_kv (`key`, value, version, updated_at) VALUES (?, 'kept', 5, '2026-01-01 12:00:00.123456'), (?, NULL, 6, UTC_TIMESTAMP(6) - INTERVAL 10 DAY), (?, NULL, 7, UTC_TIMESTAMP(6) - INTERVAL 1 DAY)",
    [Buffer.from("value"), Buffer.from("old-tombstone"), Buffer.from("recent-tombstone")],
  );

  const store = new MysqlStore({ url, max: 2, statementTimeoutMs: 5000, lockTimeoutMs: 2000 });
  try {
    await store.migrate();
    await store.migrate(); // idempotent
    expect(await typeOf("writeback_kv", "updated_at")).toBe("datetime");
    expect(await typeOf("writeback_migrations", "applied_at")).toBe("datetime");
    const applied = (await sql.unsafe(SQL.migrationsApplied)) as { id: number }[];
    expect(applied.map((m) => Number(m.id))).toEqual(MIGRATIONS.map((m) => m.id));

    // The rows, and their times as UTC, survive.
    expect(await store.get("value")).toEqual({ value: "kept", version: 5 });
    const [row] = (await sql.unsafe("SELECT DATE_FORMAT(updated_at, '%Y-%m-%d %H:%i:%s.%f') AS at FROM writeback_kv WHERE `key` = ?", [Buffer.from("value")])) as { at: string }[];
    expect(row!.at).toBe("2026-01-01 12:00:00.123456");
    // A 7-day retention purges the 10-day-old tombstone, not the 1-day-old one.
    expect(await store.purgeTombstones(7 * 24 * 3600_000, 100)).toBe(1);
    expect([...(await store.versions(["old-tombstone", "recent-tombstone"])).keys()]).toEqual(["recent-tombstone"]);

    // A write's time past 2038-01-19 fits (TIMESTAMP refused it: a data error, a dead letter).
    await sql.unsafe("UPDATE writeback_kv SET updated_at = '2040-06-01 00:00:00' WHERE `key` = ?", [Buffer.from("value")]);
    await sql.unsafe("INSERT INTO writeback_migrations (id, name, applied_at) VALUES (99, 'future', '2040-06-01 00:00:00')");
    await sql.unsafe("DELETE FROM writeback_migrations WHERE id = 99");
    // Upserts after the migration still write and guard.
    expect(await store.upsert([{ key: "value", value: "newer", version: 8 }, { key: "fresh", value: "x", version: 1 }])).toBe(2);
    expect(await store.upsert([{ key: "value", value: "older", version: 4 }])).toBe(0);
    expect(await store.get("value")).toEqual({ value: "newer", version: 8 });
  } finally {
    await store.close();
  }
});
