// Postgres access: one pool per thread, every statement bounded by server-side timeouts
// and an app-level deadline (a half-open socket can leave a query waiting forever).
import postgres from "postgres";
import { SQL } from "./sql";

export type Db = postgres.Sql;

export interface DbOptions {
  url: string;
  max: number;
  statementTimeoutMs: number;
  lockTimeoutMs: number;
}

export function connectDb(o: DbOptions): Db {
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

export class DeadlineError extends Error {
  readonly code = "DEADLINE";
  constructor(ms: number) {
    super(`database call did not finish within ${ms} ms`);
  }
}

/**
 * Rejects with DeadlineError after `ms`. The query itself is not cancelled here: postgres.js
 * 3.4.9's cancel() of a query queued on a connection leaves that connection unusable. The
 * server's statement_timeout ends a slow statement; a caller that meets this deadline (a
 * silent connection) replaces its client (Flusher.resetDb).
 */
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

/** Creates the schema; idempotent, and serialized between instances by an advisory lock. */
export async function migrate(db: Db): Promise<void> {
  await db.begin(async (tx) => {
    await tx.unsafe(SQL.migrateLock);
    await tx.unsafe(SQL.schema);
    await tx.unsafe(SQL.metaSchema);
  });
}

/** Records `prefix` as the database's owner unless another is; returns the owner. */
export async function claimOwner(db: Db, prefix: string): Promise<string> {
  const [row] = await db.unsafe<{ value: string }[]>(SQL.claimOwner, [prefix]);
  return row!.value;
}

export interface Row {
  value: string;
  version: number;
}

export async function getRow(db: Db, key: string): Promise<Row | undefined> {
  const [row] = await db.unsafe<{ value: string; version: string }[]>(SQL.get, [key], { prepare: true });
  return row && { value: row.value, version: Number(row.version) };
}

/** Writes a coalesced batch; returns how many rows changed (the rest lost to the version guard). */
export async function upsertBatch(db: Db, keys: string[], values: string[], versions: number[]): Promise<number> {
  const result = await db.unsafe(SQL.upsert, [keys, values, versions] as never[], { prepare: true });
  return result.count;
}

export async function isReady(db: Db): Promise<boolean> {
  const [row] = await db.unsafe<{ ok: boolean }[]>(SQL.ready);
  return row?.ok === true;
}
