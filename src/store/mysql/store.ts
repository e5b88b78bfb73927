// The MySQL / MariaDB store, on Bun's built-in SQL client (its MySQL adapter). Every call has
// a client deadline; on MariaDB each statement also carries max_statement_time and
// innodb_lock_wait_timeout (SET STATEMENT ... FOR), so a slow batch is split and a lock wait
// ends. MySQL has no statement time limit for writes: there only the client deadline applies.
import { SQL as Client } from "bun";
import { DEADLINE_MARGIN_MS } from "../postgres/store";
import { chunked } from "../chunk";
import { ReplaceableClient } from "../client";
import { DatabaseMissingError, refuseUnknownMigrations, StoreLimitError, type KeyedRow, type PingState, type Row, type Store } from "../store";
import { classify, errno } from "./classify";
import { MIGRATIONS, SQL } from "./sql";

export interface MysqlOptions {
  url: string;
  max: number;
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  maxKeyBytes?: number;
  maxValueBytes?: number;
}

/** Placeholders per statement stay well under the protocol's 65,535. */
const MAX_PARAMS = 30_000;
/** Keys per IN (...) list (getMany, versions): a key each placeholder. */
const MAX_IN_KEYS = 10_000;
/**
 * What one statement's packet carries besides the rows' bytes: a fixed part (command,
 * statement id, flags, the null bitmap and parameter types of up to MAX_PARAMS parameters),
 * and per row its parameters' types and length prefixes and the 8-byte version. Generous: a
 * budget, not an exact count.
 */
const STATEMENT_OVERHEAD = 64 * 1024;
const ROW_OVERHEAD = 64;

/** errno ER_BAD_DB_ERROR: the database named in the connection does not exist. */
const DATABASE_MISSING = 1049;

const placeholders = (n: number, each: string) => Array.from({ length: n }, () => each).join(", ");
const text = (k: unknown) => (k instanceof Uint8Array ? Buffer.from(k).toString("utf8") : String(k));

/** The database a mysql:// URL names. */
function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

function connect(o: MysqlOptions): Client {
  const url = new URL(o.url);
  if (url.protocol === "mariadb:") url.protocol = "mysql:";
  return new Client({ url: url.toString(), max: o.max, idleTimeout: 60, connectionTimeout: Math.ceil(o.statementTimeoutMs / 1000) });
}

export class MysqlStore implements Store {
  readonly name = "mysql";
  private sql: ReplaceableClient<Client>;
  private deadlineMs: number;
  /** "SET STATEMENT ... FOR " on MariaDB; "" on MySQL (decided by migrate()) */
  private limits = "";
  /** bytes of rows one statement may carry: max_allowed_packet less the overhead (read by migrate(), or on first use) */
  private packetBudget?: number;

  constructor(private o: MysqlOptions) {
    this.sql = new ReplaceableClient({ open: () => connect(o), end: (c) => c.close({ timeout: 1 }), answered: (err) => errno(err) !== undefined });
    this.deadlineMs = o.statementTimeoutMs + DEADLINE_MARGIN_MS;
  }

  /** One statement within the deadline (a failure that is not the server's answer replaces the client: client.ts). */
  private run<T = Record<string, unknown>[]>(statement: string, params: unknown[] = []): Promise<T> {
    return this.sql.run((sql) => sql.unsafe(statement, params) as Promise<T>, this.deadlineMs);
  }

  async migrate(): Promise<void> {
    try {
      await this.migrateAll();
    } catch (err) {
      if (errno(err) !== DATABASE_MISSING) throw err;
      const name = databaseName(this.o.url);
      throw new DatabaseMissingError(
        `the database \`${name}\` does not exist on the MySQL server: create it (CREATE DATABASE \`${name.replaceAll("`", "``")}\`;); writeback creates its tables, not the database`,
        err,
      );
    }
  }

  /**
   * max_allowed_packet bounds one statement: a row of MAX_KEY_BYTES and MAX_VALUE_BYTES that
   * cannot fit could never be written (each such write would end in the dead letters), so
   * such a setting stops the service at start (StoreLimitError: exit 2).
   */
  private async readPacketLimit(): Promise<void> {
    const budget = await this.budget(true);
    const packet = budget + STATEMENT_OVERHEAD;
    const { maxKeyBytes: key, maxValueBytes: value } = this.o;
    if (key === undefined || value === undefined || key + value + ROW_OVERHEAD <= budget) return;
    throw new StoreLimitError(
      `MAX_VALUE_BYTES (${value}) does not fit the MySQL server's max_allowed_packet (${packet}): with MAX_KEY_BYTES (${key}) and ${STATEMENT_OVERHEAD + ROW_OVERHEAD} bytes for the statement, a row of that size would be refused (error 1153). ` +
        `Raise max_allowed_packet on the server to at least ${key + value + ROW_OVERHEAD + STATEMENT_OVERHEAD} (SET GLOBAL max_allowed_packet = ..., and in its configuration) or set MAX_VALUE_BYTES to at most ${Math.max(0, budget - ROW_OVERHEAD - key)}`,
    );
  }

  /** The packet budget, read from the server once (again when `fresh`: each start checks the server as it is now). */
  private async budget(fresh = false): Promise<number> {
    if (this.packetBudget === undefined || fresh) {
      const [row] = await this.run<{ max_packet: number | bigint }[]>(SQL.maxPacket);
      this.packetBudget = Number(row?.max_packet) - STATEMENT_OVERHEAD;
    }
    return this.packetBudget;
  }

  private async migrateAll(): Promise<void> {
    const [v] = await this.run<{ version: string }[]>(SQL.variant);
    if (/mariadb/i.test(v?.version ?? "")) {
      const s = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
      this.limits = `SET STATEMENT max_statement_time=${this.o.statementTimeoutMs / 1000}, innodb_lock_wait_timeout=${s(this.o.lockTimeoutMs)} FOR `;
    }
    await this.readPacketLimit();
    // The named lock belongs to a connection: hold one for the whole migration.
    const c = await this.sql.current.reserve();
    try {
      const [lock] = (await c.unsafe(SQL.migrateLock)) as { got: number }[];
      if (lock?.got !== 1) throw new Error("could not take the migration lock within 60 s");
      // Migrations convert times as UTC (0002: TIMESTAMP to DATETIME); reset before release.
      await c.unsafe("SET time_zone = '+00:00'");
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
        await c.unsafe("SET time_zone = DEFAULT").catch(() => {});
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
    // Statements within the placeholder limit and max_allowed_packet; a row alone past the
    // packet is sent anyway, for the server to refuse (1153: its own dead letter). Values are
    // measured in UTF-8 only when 3 bytes per UTF-16 unit might not fit (the common case skips it).
    const budget = await this.budget();
    let bound = 0;
    for (const { r, k } of sorted) bound += k.length + 3 * (r.value?.length ?? 0) + ROW_OVERHEAD;
    const size =
      bound <= budget
        ? () => 0
        : ({ r, k }: { r: KeyedRow; k: Buffer }) => k.length + (r.value === null ? 0 : Buffer.byteLength(r.value, "utf8")) + ROW_OVERHEAD;
    for (const part of chunked(sorted, size, budget, Math.floor(MAX_PARAMS / 3))) {
      const params: unknown[] = [];
      for (const { r, k } of part) params.push(k, r.value, r.version);
      const result = await this.run<{ affectedRows: number }>(this.limits + SQL.upsert.replace("VALUES ROWS", `VALUES ${placeholders(part.length, "(?, ?, ?, UTC_TIMESTAMP(6))")}`), params);
      // ON DUPLICATE KEY UPDATE counts 1 per insert, 2 per changed row, 0 per unchanged one:
      // rows that changed at all is what the guard let through.
      changed += Math.min(part.length, result.affectedRows);
    }
    return changed;
  }

  /** Runs a statement with an IN (KEYS) list once per chunk of keys (placeholders and max_allowed_packet), rows concatenated. */
  private async selectIn<T>(statement: string, keys: string[]): Promise<T[]> {
    const bytes = keys.map((k) => Buffer.from(k, "utf8"));
    const out: T[] = [];
    for (const part of chunked(bytes, (k) => k.length + ROW_OVERHEAD, await this.budget(), MAX_IN_KEYS)) {
      out.push(...(await this.run<T[]>(statement.replace("IN (KEYS)", `IN (${placeholders(part.length, "?")})`), part)));
    }
    return out;
  }

  async get(key: string): Promise<Row | undefined> {
    const [row] = await this.run<{ value: string; version: number | bigint }[]>(SQL.get, [Buffer.from(key, "utf8")]);
    return row && { value: row.value, version: Number(row.version) };
  }

  async getMany(keys: string[]): Promise<Map<string, Row>> {
    const rows = await this.selectIn<{ key: Uint8Array; value: string; version: number }>(SQL.getMany, keys);
    return new Map(rows.map((r) => [text(r.key), { value: r.value, version: Number(r.version) }]));
  }

  async versions(keys: string[]): Promise<Map<string, number>> {
    const rows = await this.selectIn<{ key: Uint8Array; version: number }>(SQL.versions, keys);
    return new Map(rows.map((r) => [text(r.key), Number(r.version)]));
  }

  async purgeTombstones(olderThanMs: number, limit: number): Promise<number> {
    const result = await this.run<{ affectedRows: number }>(SQL.purgeTombstones, [olderThanMs * 1000, limit]);
    return result.affectedRows;
  }

  async ping(): Promise<PingState> {
    try {
      const [row] = await this.run<{ ok: number | bigint }[]>(SQL.ready);
      return Number(row?.ok) > 0 ? "ok" : "schema_missing";
    } catch (err) {
      if (errno(err) === DATABASE_MISSING) return "database_missing";
      throw err;
    }
  }

  classify(err: unknown) {
    return classify(err);
  }

  errorCode(err: unknown) {
    const n = errno(err);
    return n === undefined ? undefined : String(n);
  }

  reset(): void {
    this.sql.replace();
  }

  close(): Promise<void> {
    return this.sql.close();
  }
}
