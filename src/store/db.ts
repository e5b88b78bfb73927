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
  });
}

export interface Row {
  value: string;
  version: number;
}

export async function getRow(db: Db, key: string): Promise<Row | undefined> {
  const [row] = await db.unsafe<{ value: string; version: string }[]>(SQL.get, [key]);
  return row && { value: row.value, version: Number(row.version) };
}

/** Writes a coalesced batch; returns how many rows changed (the rest lost to the version guard). */
export async function upsertBatch(db: Db, keys: string[], values: string[], versions: number[]): Promise<number> {
  const result = await db.unsafe(SQL.upsert, [keys, values, versions] as never[]);
  return result.count;
}

export async function isReady(db: Db): Promise<boolean> {
  const [row] = await db.unsafe<{ ok: boolean }[]>(SQL.ready);
  return row?.ok === true;
}
