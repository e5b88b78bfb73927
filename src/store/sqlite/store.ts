// The SQLite store, on bun:sqlite: one file, one host. WAL, so reads never wait for the
// writer; busy_timeout, so the flusher threads take turns at the write lock instead of
// failing (one writer at a time, each batch one statement). synchronous=FULL: a committed
// batch survives a power cut, as the system of record must. bun:sqlite is synchronous: a
// statement holds its thread (a flusher's own thread; on the HTTP thread only point reads).
import { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { chunked } from "../chunk";
import { DatabaseMissingError, refuseUnknownMigrations, type KeyedRow, type PingState, type Row, type Store } from "../store";
import { classify, resultCode } from "./classify";
import { MIGRATIONS, SQL } from "./sql";

export interface SqliteOptions {
  url: string;
  statementTimeoutMs: number;
}

/** The file of a sqlite:// URL: sqlite:///abs/path.db (absolute) or sqlite://rel/path.db (relative). */
export function sqlitePath(url: string): string {
  const rest = url.replace(/^sqlite:\/\//, "");
  return decodeURIComponent(rest.split("?")[0]!);
}

/**
 * Most UTF-16 units of keys and values in one multi-row statement. Its rows travel as one
 * JSON string, in which a unit becomes up to six bytes ("\u0001"): at most 768 MiB here,
 * under SQLITE_MAX_LENGTH (1,000,000,000 bytes; past it SQLITE_TOOBIG). A row alone goes as
 * plain parameters (upsert_one.sql), so any value MAX_VALUE_BYTES allows fits.
 */
const MAX_STATEMENT_UNITS = 128 * 1024 * 1024;

const units = (r: KeyedRow) => r.key.length + (r.value?.length ?? 0);

export class SqliteStore implements Store {
  readonly name = "sqlite";
  private opened?: Database;

  constructor(private o: SqliteOptions) {}

  /** Opened on first use, so a file that cannot be opened yet is a failure of a call (retried), not of the process. */
  private get db(): Database {
    return (this.opened ??= this.open());
  }

  private open(): Database {
    const db = new Database(sqlitePath(this.o.url), { create: true, strict: true });
    // A writer waits this long for another's lock (then SQLITE_BUSY: retried with backoff).
    db.exec(`PRAGMA busy_timeout = ${Math.min(this.o.statementTimeoutMs, 5000)}`);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = FULL");
    return db;
  }

  /**
   * The file's directory, when it does not exist. writeback creates the file, never its
   * directory: a path whose directory is missing is more likely a volume not mounted or a
   * typo than a place to start an empty system of record.
   */
  private missingDirectory(): string | undefined {
    const dir = dirname(resolve(sqlitePath(this.o.url)));
    return existsSync(dir) ? undefined : dir;
  }

  async migrate(): Promise<void> {
    const dir = this.missingDirectory();
    if (dir !== undefined) {
      throw new DatabaseMissingError(`the directory of the SQLite file does not exist: create it (mkdir -p ${dir}); writeback creates the file, not its directory`);
    }
    // BEGIN IMMEDIATE takes the write lock: instances starting at once migrate one at a time.
    this.db.transaction(() => {
      this.db.exec(SQL.migrationsTable);
      const applied = this.db.query(SQL.migrationsApplied).all() as { id: number; name: string }[];
      refuseUnknownMigrations(applied, MIGRATIONS);
      for (const m of MIGRATIONS) {
        if (applied.some((a) => a.id === m.id)) continue;
        this.db.exec(m.sql);
        this.db.query(SQL.migrationRecord).run(m.id, m.name, Date.now());
      }
    }).immediate();
  }

  async claimOwner(prefix: string): Promise<string> {
    this.db.query(SQL.claimOwner).run(prefix);
    return (this.db.query(SQL.owner).get() as { value: string }).value;
  }

  async upsert(rows: KeyedRow[]): Promise<number> {
    let changed = 0;
    for (const part of chunked(rows, units, MAX_STATEMENT_UNITS)) {
      const [one] = part;
      changed +=
        part.length === 1
          ? this.db.query(SQL.upsertOne).run(one!.key, one!.value, one!.version, Date.now()).changes
          : this.db.query(SQL.upsert).run(JSON.stringify(part.map((r) => [r.key, r.value, r.version])), Date.now()).changes;
    }
    return changed;
  }

  async get(key: string): Promise<Row | undefined> {
    const row = this.db.query(SQL.get).get(key) as { value: string; version: number } | null;
    return row ? { value: row.value, version: Number(row.version) } : undefined;
  }

  async getMany(keys: string[]): Promise<Map<string, Row>> {
    const rows = this.db.query(SQL.getMany).all(JSON.stringify(keys)) as { key: string; value: string; version: number }[];
    return new Map(rows.map((r) => [r.key, { value: r.value, version: Number(r.version) }]));
  }

  async versions(keys: string[]): Promise<Map<string, number>> {
    const rows = this.db.query(SQL.versions).all(JSON.stringify(keys)) as { key: string; version: number }[];
    return new Map(rows.map((r) => [r.key, Number(r.version)]));
  }

  async purgeTombstones(olderThanMs: number, limit: number): Promise<number> {
    return this.db.query(SQL.purgeTombstones).run(Date.now() - olderThanMs, limit).changes;
  }

  async ping(): Promise<PingState> {
    if (this.missingDirectory() !== undefined) return "database_missing";
    const row = this.db.query(SQL.ready).get() as { ok: number };
    return row.ok > 0 ? "ok" : "schema_missing";
  }

  classify(err: unknown) {
    return classify(err);
  }

  errorCode(err: unknown) {
    return resultCode(err);
  }

  reset(): void {
    this.opened?.close(false);
    this.opened = undefined;
  }

  async close(): Promise<void> {
    this.opened?.close(false);
    this.opened = undefined;
  }
}
