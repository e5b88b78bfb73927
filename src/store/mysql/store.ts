// The MySQL / MariaDB store, on Bun's built-in SQL client (its MySQL adapter). Every call has
// a client deadline; on MariaDB each statement also carries max_statement_time and
// innodb_lock_wait_timeout (SET STATEMENT ... FOR), so a slow batch is split and a lock wait
// ends. MySQL has no statement time limit for writes: there only the client deadline applies.
import { SQL as Client } from "bun";
import { DEADLINE_MARGIN_MS } from "../postgres/store";
import { refuseUnknownMigrations, withDeadline, type KeyedRow, type Row, type Store } from "../store";
import { classify, errno } from "./classify";
import { MIGRATIONS, SQL } from "./sql";

export interface MysqlOptions {
  url: string;
  max: number;
  statementTimeoutMs: number;
  lockTimeoutMs: number;
}

/** Placeholders per statement stay well under the protocol's 65,535. */
const MAX_PARAMS = 30_000;

const placeholders = (n: number, each: string) => Array.from({ length: n }, () => each).join(", ");
const text = (k: unknown) => (k instanceof Uint8Array ? Buffer.from(k).toString("utf8") : String(k));

function connect(o: MysqlOptions): Client {
  const url = new URL(o.url);
  if (url.protocol === "mariadb:") url.protocol = "mysql:";
  return new Client({ url: url.toString(), max: o.max, idleTimeout: 60, connectionTimeout: Math.ceil(o.statementTimeoutMs / 1000) });
}

export class MysqlStore implements Store {
  readonly name = "mysql";
  private sql: Client;
  private deadlineMs: number;
  /** "SET STATEMENT ... FOR " on MariaDB; "" on MySQL (decided by migrate()) */
  private limits = "";

  constructor(private o: MysqlOptions) {
    this.sql = connect(o);
    this.deadlineMs = o.statementTimeoutMs + DEADLINE_MARGIN_MS;
  }

  private run<T = Record<string, unknown>[]>(statement: string, params: unknown[] = []): Promise<T> {
    return withDeadline(this.sql.unsafe(statement, params) as Promise<T>, this.deadlineMs);
  }

  async migrate(): Promise<void> {
    const [v] = await this.run<{ version: string }[]>(SQL.variant);
    if (/mariadb/i.test(v?.version ?? "")) {
      const s = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
      this.limits = `SET STATEMENT max_statement_time=${this.o.statementTimeoutMs / 1000}, innodb_lock_wait_timeout=${s(this.o.lockTimeoutMs)} FOR `;
    }
    // The named lock belongs to a connection: hold one for the whole migration.
    const c = await this.sql.reserve();
    try {
      const [lock] = (await c.unsafe(SQL.migrateLock)) as { got: number }[];
      if (lock?.got !== 1) throw new Error("could not take the migration lock within 60 s");
      try {
        await c.unsafe(SQL.migrationsTable);
        const applied = (await c.unsafe(SQL.migrationsApplied)) as { id: number; name: string }[];
        refuseUnknownMigrations(applied, MIGRATIONS);
        for (const m of MIGRATIONS) {
          if (applied.some((a) => a.id === m.id)) continue;
          for (const statement of m.sql.split(/;\s*$/m).map((x) => x.trim()).filter((x) => x && !/^(--[^\n]*\n?)*$/.test(x))) {
            await c.unsafe(statement);
          }
          await c.unsafe(SQL.migrationRecord, [m.id, m.name]);
        }
      } finally {
        await c.unsafe(SQL.migrateUnlock).catch(() => {});
      }
    } finally {
      c.release();
    }
  }

  async claimOwner(prefix: string): Promise<string> {
    await this.run(SQL.claimOwner, [prefix]);
    const [row] = await this.run<{ value: string }[]>(SQL.owner);
    return row!.value;
  }

  async upsert(rows: KeyedRow[]): Promise<number> {
    // Key bytes order, the order InnoDB compares VARBINARY in: locks are taken in one order.
    const sorted = rows
      .map((r) => ({ r, k: Buffer.from(r.key, "utf8") }))
      .sort((a, b) => Buffer.compare(a.k, b.k));
    let changed = 0;
    const per = Math.floor(MAX_PARAMS / 3);
    for (let i = 0; i < sorted.length; i += per) {
      const part = sorted.slice(i, i + per);
      const params: unknown[] = [];
      for (const { r, k } of part) params.push(k, r.value, r.version);
      const result = await this.run<{ affectedRows: number }>(this.limits + SQL.upsert.replace("VALUES ROWS", `VALUES ${placeholders(part.length, "(?, ?, ?)")}`), params);
      // ON DUPLICATE KEY UPDATE counts 1 per insert, 2 per changed row, 0 per unchanged one:
      // rows that changed at all is what the guard let through.
      changed += Math.min(part.length, result.affectedRows);
    }
    return changed;
  }

  async get(key: string): Promise<Row | undefined> {
    const [row] = await this.run<{ value: string; version: number | bigint }[]>(SQL.get, [Buffer.from(key, "utf8")]);
    return row && { value: row.value, version: Number(row.version) };
  }

  async getMany(keys: string[]): Promise<Map<string, Row>> {
    const rows = await this.run<{ key: Uint8Array; value: string; version: number }[]>(
      SQL.getMany.replace("IN (KEYS)", `IN (${placeholders(keys.length, "?")})`),
      keys.map((k) => Buffer.from(k, "utf8")),
    );
    return new Map(rows.map((r) => [text(r.key), { value: r.value, version: Number(r.version) }]));
  }

  async versions(keys: string[]): Promise<Map<string, number>> {
    const rows = await this.run<{ key: Uint8Array; version: number }[]>(
      SQL.versions.replace("IN (KEYS)", `IN (${placeholders(keys.length, "?")})`),
      keys.map((k) => Buffer.from(k, "utf8")),
    );
    return new Map(rows.map((r) => [text(r.key), Number(r.version)]));
  }

  async purgeTombstones(olderThanMs: number, limit: number): Promise<number> {
    const result = await this.run<{ affectedRows: number }>(SQL.purgeTombstones, [olderThanMs * 1000, limit]);
    return result.affectedRows;
  }

  async ping(): Promise<"ok" | "schema_missing"> {
    const [row] = await this.run<{ ok: number | bigint }[]>(SQL.ready);
    return Number(row?.ok) > 0 ? "ok" : "schema_missing";
  }

  classify(err: unknown) {
    return classify(err);
  }

  errorCode(err: unknown) {
    const n = errno(err);
    return n === undefined ? undefined : String(n);
  }

  reset(): void {
    const old = this.sql;
    this.sql = connect(this.o);
    old.close({ timeout: 1 }).catch(() => {});
  }

  async close(): Promise<void> {
    await this.sql.close({ timeout: 1 });
  }
}
