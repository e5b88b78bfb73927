// The database behind one small interface: what the flusher and the read path need of the
// system of record. Postgres (postgres.ts) implements it; the rules every implementation
// keeps are the version guard (a row never moves to an older or equal version), batches
// written in key order (no deadlocks between flusher threads), and errors classified by code.
import { deadline } from "../deadline";
import { FatalError } from "../fatal";

/**
 * What a failed statement means for the batch it carried:
 * - transient: about the connection or the database's state: retry the batch as it is;
 * - split: the statement was too slow or too large: split the batch and write the halves;
 * - permanent: about the rows it carried: split until the bad row stands alone, dead-letter it.
 */
export type Failure = "transient" | "split" | "permanent";

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
  /** "ok", or "schema_missing"; throws when the database cannot be reached. */
  ping(): Promise<"ok" | "schema_missing">;
  /** Whether a failure is worth retrying as it is, splitting, or never (the rows are bad); by code, never by message. */
  classify(err: unknown): Failure;
  /** The database's code of an error (SQLSTATE, errno, result code), for the dead letter; undefined for a connection failure. */
  errorCode(err: unknown): string | undefined;
  /** Abandons the current connections for new ones (after a deadline or a driver fault). */
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
