// The database behind one small interface: what the flusher and the read path need of the
// system of record. Postgres (postgres.ts) implements it; the rules every implementation
// keeps are the version guard (a row never moves to an older or equal version), batches
// written in key order (no deadlocks between flusher threads), and errors classified by code.
import type { Failure } from "./classify";

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
  /** Creates or upgrades the schema; safe when several instances run it at once. */
  migrate(): Promise<void>;
  /** Records `prefix` as the deployment owning this database unless another is; returns the owner. */
  claimOwner(prefix: string): Promise<string>;
  /** Writes rows sorted by key in one statement under the version guard; returns how many changed. */
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
  /** Whether a failure is worth retrying as it is, splitting, or never (the rows are bad). */
  classify(err: unknown): Failure;
  /** Abandons the current connections for new ones (after a deadline or a driver fault). */
  reset(): void;
  close(): Promise<void>;
}

/** A database call that did not finish in time: its connection went silent. */
export class DeadlineError extends Error {
  readonly code = "DEADLINE";
  constructor(ms: number) {
    super(`database call did not finish within ${ms} ms`);
  }
}

/** Rejects with DeadlineError after `ms`. The call itself is not cancelled (see PostgresStore.reset). */
export async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(ms)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
