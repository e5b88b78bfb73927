// The Postgres store, on postgres.js: one pool per thread, every statement bounded by
// server-side timeouts (statement_timeout, lock_timeout) and every call by a client deadline
// (a half-open socket can leave a query waiting forever). The hot statements (upsert, get)
// are prepared.
import postgres from "postgres";
import { classify, sqlState } from "./classify";
import { MIGRATIONS, SQL } from "./sql";
import { chunked } from "../chunk";
import { ReplaceableClient } from "../client";
import { DatabaseMissingError, refuseUnknownMigrations, type KeyedRow, type PingState, type Row, type Store } from "../store";

export interface PostgresOptions {
  url: string;
  max: number;
  statementTimeoutMs: number;
  lockTimeoutMs: number;
}

/**
 * The client's deadline is the server's statement_timeout plus this margin: the server's
 * own timeout (which proves the server alive, and splits a batch) normally comes first; the
 * client's is for a connection that went silent.
 */
export const DEADLINE_MARGIN_MS = 1000;

/**
 * Most UTF-16 units of keys and values in one multi-row statement. Its rows travel as text[]
 * literals in which the driver doubles quotes and backslashes: at most 256 Mi characters
 * here, far from where postgres.js fails (RangeError near 2^29 characters, measured) and from
 * Postgres's 1 GB message limit (a Bind past it closes the connection: ECONNRESET). A row
 * alone goes as plain parameters (upsert_one.sql), so any value MAX_VALUE_BYTES allows fits.
 */
const MAX_STATEMENT_UNITS = 128 * 1024 * 1024;

/** SQLSTATE invalid_catalog_name: the database named in the connection does not exist. */
const DATABASE_MISSING = "3D000";

const units = (r: KeyedRow) => r.key.length + (r.value?.length ?? 0);

/** The database a postgres:// URL names (postgres.js's default: the user's name). */
function databaseName(url: string): string {
  const u = new URL(url);
  return decodeURIComponent(u.pathname.slice(1)) || decodeURIComponent(u.username) || "postgres";
}

function connect(o: PostgresOptions): postgres.Sql {
  return postgres(o.url, {
    max: o.max,
    idle_timeout: 60,
    connect_timeout: Math.ceil(o.statementTimeoutMs / 1000),
    // Seconds before reconnecting after failed connections. The driver's own grows to 20 s,
    // so after an outage the flusher could sit out up to 20 s of a database that is back.
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 1),
    onnotice: () => {},
    connection: {
      application_name: "writeback",
      statement_timeout: o.statementTimeoutMs,
      lock_timeout: o.lockTimeoutMs,
    },
  });
}

export class PostgresStore implements Store {
  readonly name = "postgres";
  private sql: ReplaceableClient<postgres.Sql>;
  private deadlineMs: number;

  constructor(private o: PostgresOptions) {
    this.sql = new ReplaceableClient({ open: () => connect(o), end: (c) => c.end({ timeout: 1 }), answered: (err) => sqlState(err) !== undefined });
    this.deadlineMs = o.statementTimeoutMs + DEADLINE_MARGIN_MS;
  }

  /**
   * Applies the numbered migrations this database has not had, in order, each in its own
   * transaction under an advisory lock, so instances starting at once apply each exactly once
   * (graphile-worker's pattern). A database that has had a migration this binary does not
   * know is newer than the binary: refused with UnknownMigrationError.
   */
  async migrate(): Promise<void> {
    try {
      await this.migrateAll();
    } catch (err) {
      if (sqlState(err) !== DATABASE_MISSING) throw err;
      const name = databaseName(this.o.url);
      throw new DatabaseMissingError(
        `the database "${name}" does not exist on the Postgres server: create it (CREATE DATABASE "${name.replaceAll('"', '""')}";); writeback creates its tables, not the database`,
        err,
      );
    }
  }

  private async migrateAll(): Promise<void> {
    await this.sql.run((sql) => sql.begin(async (tx) => {
      await tx.unsafe(SQL.migrateLock);
      await tx.unsafe(SQL.migrationsTable);
      refuseUnknownMigrations(await tx.unsafe<{ id: number; name: string }[]>(SQL.migrationsApplied, []), MIGRATIONS);
    }));
    for (const m of MIGRATIONS) {
      await this.sql.run((sql) => sql.begin(async (tx) => {
        await tx.unsafe(SQL.migrateLock);
        const applied = await tx.unsafe<{ id: number }[]>(SQL.migrationsApplied, []);
        if (applied.some((a) => a.id === m.id)) return;
        await tx.unsafe(m.sql);
        await tx.unsafe(SQL.migrationRecord, [m.id, m.name]);
      }));
    }
  }

  async claimOwner(prefix: string): Promise<string> {
    // Two instances (or threads) claiming at once: the second's INSERT waits for the first's
    // and does nothing, and its SELECT, on the statement's older snapshot, sees no row yet.
    // A new statement sees the committed one.
    for (let attempt = 0; ; attempt++) {
      const [row] = await this.call((sql) => sql.unsafe<{ value: string }[]>(SQL.claimOwner, [prefix]));
      if (row) return row.value;
      if (attempt >= 2) throw new Error("the owning KEY_PREFIX could neither be recorded nor read");
    }
  }

  async upsert(rows: KeyedRow[]): Promise<number> {
    let changed = 0;
    for (const part of chunked(rows, units, MAX_STATEMENT_UNITS)) changed += await this.upsertPart(part);
    return changed;
  }

  private async upsertPart(rows: KeyedRow[]): Promise<number> {
    const [one] = rows;
    const [statement, params] =
      rows.length === 1
        ? [SQL.upsertOne, [one!.key, one!.value, one!.version]]
        : [SQL.upsert, [rows.map((r) => r.key), rows.map((r) => r.value), rows.map((r) => r.version)]];
    const result = await this.call((sql) => sql.unsafe(statement, params as never[], { prepare: true }));
    return result.count;
  }

  async get(key: string): Promise<Row | undefined> {
    const [row] = await this.call((sql) => sql.unsafe<{ value: string; version: string }[]>(SQL.get, [key], { prepare: true }));
    return row && { value: row.value, version: Number(row.version) };
  }

  async getMany(keys: string[]): Promise<Map<string, Row>> {
    const rows = await this.call((sql) =>
      sql.unsafe<{ key: string; value: string; version: string }[]>(SQL.getMany, [keys] as never[], { prepare: true }),
    );
    return new Map(rows.map((r) => [r.key, { value: r.value, version: Number(r.version) }]));
  }

  async versions(keys: string[]): Promise<Map<string, number>> {
    const rows = await this.call((sql) => sql.unsafe<{ key: string; version: string }[]>(SQL.versions, [keys] as never[], { prepare: true }));
    return new Map(rows.map((r) => [r.key, Number(r.version)]));
  }

  async purgeTombstones(olderThanMs: number, limit: number): Promise<number> {
    const result = await this.call((sql) => sql.unsafe(SQL.purgeTombstones, [olderThanMs, limit]));
    return result.count;
  }

  async ping(): Promise<PingState> {
    try {
      const [row] = await this.call((sql) => sql.unsafe<{ ok: boolean }[]>(SQL.ready));
      return row?.ok === true ? "ok" : "schema_missing";
    } catch (err) {
      if (sqlState(err) === DATABASE_MISSING) return "database_missing";
      throw err;
    }
  }

  /** One call within the deadline (a failure that is not the server's answer replaces the client: client.ts). */
  private call<T>(work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
    return this.sql.run(work, this.deadlineMs);
  }

  classify(err: unknown) {
    return classify(err);
  }

  errorCode(err: unknown) {
    return sqlState(err);
  }

  /**
   * New connections instead of the current ones, which are ended in the background: a query
   * waiting on them fails and is retried on the new ones. Not query.cancel(): in postgres.js
   * 3.4.9, cancelling a query on a connection that was being cut left that connection unusable
   * (every later query on the pool met its deadline until the process restarted).
   */
  reset(): void {
    this.sql.replace();
  }

  close(): Promise<void> {
    return this.sql.close();
  }
}
