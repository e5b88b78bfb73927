// Which SQLite failures are worth retrying, decided by the result code (never by message).
// bun:sqlite's SQLiteError is recognised with instanceof, never by its name.
import { SQLiteError } from "bun:sqlite";
import type { Failure } from "../store";

/** The primary result code ("SQLITE_BUSY" of "SQLITE_BUSY_SNAPSHOT"), or undefined. */
export function resultCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof SQLiteError && typeof code === "string" ? code : undefined;
}

/** About the rows: a constraint, a type mismatch. */
const PERMANENT = ["SQLITE_CONSTRAINT", "SQLITE_MISMATCH"];
/** Too big for one statement (past SQLITE_MAX_LENGTH): split the batch; a row alone still too big is dead-lettered. */
const TOO_LARGE = ["SQLITE_TOOBIG"];

export function classify(err: unknown): Failure {
  const code = resultCode(err);
  if (code === undefined) return "transient";
  const primary = (c: string) => code === c || code.startsWith(c + "_");
  if (PERMANENT.some(primary)) return "permanent";
  if (TOO_LARGE.some(primary)) return "too_large";
  // BUSY and LOCKED (another writer), IOERR, FULL, CANTOPEN, READONLY, NOMEM, and ERROR (a
  // missing table an operator is restoring): about the file, not the rows.
  return "transient";
}
