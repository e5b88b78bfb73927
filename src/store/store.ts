// The database behind one small interface: what the flusher and the read path need of the
// system of record. Postgres, MySQL/MariaDB and SQLite implement it (postgres/, mysql/,
// sqlite/; open.ts picks one by DATABASE_URL's scheme); the rules every implementation keeps are the version guard (a row never moves to an older or equal version), batches
// written in key order (no deadlocks between flusher threads), and errors classified by code.
import { deadline } from "../deadline";
import { FatalError } from "../fatal";

/**
 * What a failed statement means for the batch it carried:
 * - transient: about the connection, the server, the user's limits or an operator's action:
 *   retry the batch as it is;
 * - split: the statement was too slow: split the batch and write the halves; one row alone
 *   that is still too slow is the database's trouble, not the row's: retried (transient);
 * - too_large: the statement was too large for the server: split the batch; one row alone
 *   that is still too large is refused for its size: dead-lettered;
 * - permanent: about what the rows hold: split until the bad row stands alone, dead-letter it.
 */
export type Failure = "transient" | "split" | "too_large" | "permanent";

/** What ping() finds: the schema in place, the schema not created yet, or no database to create it in. */
export type PingState = "ok" | "schema_missing" | "database_missing";

/** A key's stored value and version. */
export interface Row {
  value: string;
  version: number;
}

/** A row to write: its key, value and version; value null is a delete (a tombstone). */
export interface KeyedRow {
  key: string;
  value: string | null;
  version: number;
}

export interface Store {
  /** postgres, mysql or sqlite: what /ready names */
  readonly name: string;
  /** Creates or upgrades the schema; safe when several instances run it at once. */
  migrate(): Promise<void>;
  /** Records `prefix` as the deployment owning this database unless another is; returns the owner. */
  claimOwner(prefix: string): Promise<string>;
  /**
   * Writes rows sorted by key in one statement under the version guard; returns how many
   * changed (0 when the guard kept every one). MySQL cannot tell an update from an insert in
   * a batch of both, so there it is an upper bound; exact for a batch of one.
   */
  upsert(rows: KeyedRow[]): Promise<number>;
  /** The key's value; undefined when absent or deleted (reads never return a tombstone). */
  get(key: string): Promise<Row | undefined>;
  /** The values of several keys (absent and deleted ones left out), in one query. */
  getMany(keys: string[]): Promise<Map<string, Row>>;
  /** The persisted version of each key that has a row, tombstones included. */
  versions(keys: string[]): Promise<Map<string, number>>;
  /** Deletes up to `limit` tombstones last written more than `olderThanMs` ago; returns how many. */
  purgeTombstones(olderThanMs: number, limit: number): Promise<number>;
  /**
   * "ok"; "schema_missing" (the flusher creates it); "database_missing" (the server answers but
   * the database named by DATABASE_URL, or SQLite's directory, does not exist: an operator must
   * create it). Throws when the database cannot be reached.
   */
  ping(): Promise<PingState>;
  /** Whether a failure is worth retrying as it is, splitting, or never (the rows are bad); by code, never by message. */
  classify(err: unknown): Failure;
  /** The database's code of an error (SQLSTATE, errno, result code), for the dead letter; undefined for a connection failure. */
  errorCode(err: unknown): string | undefined;
  /**
   * Abandons the current connections for new ones (after a failure that is not the server's
   * answer, or a driver fault). At most once per STORE_RESET_MIN_INTERVAL_MS: under a storm of
   * failures, each replacement would otherwise open a pool while the last ones close.
   */
  reset(): void;
  close(): Promise<void>;
}

/** The database was migrated by a newer writeback: this binary must not write to it. */
export class UnknownMigrationError extends FatalError {
  constructor(message: string) {
    super("MIGRATION_UNKNOWN", message);
  }
}

/** Throws UnknownMigrationError when the database has had a migration this binary does not know. */
export function refuseUnknownMigrations(applied: { id: number; name: string }[], known: { id: number }[]): void {
  const ids = new Set(known.map((m) => m.id));
  const unknown = applied.filter((m) => !ids.has(m.id));
  if (unknown.length > 0) {
    throw new UnknownMigrationError(
      `the database has migrations this binary does not know (${unknown.map((m) => m.name).join(", ")}): it was upgraded by a newer writeback; run that version or newer`,
    );
  }
}

/**
 * The database named by DATABASE_URL does not exist (Postgres 3D000, MySQL 1049) or SQLite's
 * directory does not: nothing writeback may create itself, so the message says what to run.
 * Not fatal: the flusher retries (classified transient) and carries on once it exists.
 */
export class DatabaseMissingError extends Error {
  readonly code = "DATABASE_MISSING";
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}

/** A setting the database cannot carry (MAX_VALUE_BYTES past MySQL's max_allowed_packet): exit 2. */
export class StoreLimitError extends FatalError {
  constructor(message: string) {
    super("STORE_LIMIT", message);
  }
}

/** A database call that did not finish in time: its connection went silent. */
export class DeadlineError extends Error {
  readonly code = "DEADLINE";
  constructor(ms: number) {
    super(`database call did not finish within ${ms} ms`);
  }
}

/** Rejects with DeadlineError after `ms`. The call itself is not cancelled (see PostgresStore.reset). */
export function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  return deadline(work, ms, () => new DeadlineError(ms));
}
