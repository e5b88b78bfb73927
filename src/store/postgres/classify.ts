// Which Postgres failures are worth retrying, decided by SQLSTATE (never by message text).
//
// - transient: the failure says nothing about the rows: the connection broke, the client's
//   deadline passed, or Postgres answered with an error about itself (its connection,
//   transaction state, auth, resources, locks, an operator's action, a missing table an
//   operator is restoring). The batch is retried with backoff, forever.
// - split: the statement ran past statement_timeout (57014). The server is alive, the
//   statement too slow: the batch is split, so a batch too large never retries whole forever.
// - permanent: Postgres rejected the statement for what the rows hold (bad data, a
//   constraint, a key too large for its index, a trigger's exception...). The batch is split
//   until the rejected rows stand alone, and those go to the dead letters.
// Only errors that Postgres itself sent (postgres.js's PostgresError) carry a SQLSTATE: an
// errno such as EPIPE is five capitals too, and must never read as one. The class is
// recognised with instanceof, never by its name: postgres.js names its errors after
// `this.constructor.name`, which `bun build --minify` renames (in the binary it read "Ut",
// and every Postgres error was taken for a transient one).
import postgres from "postgres";

/** SQLSTATE classes about the database's state, not the rows: retried. */
const DATABASE_CLASSES = new Set([
  "08", // connection exception
  "25", // invalid transaction state (e.g. 25006: a read-only standby after a failover)
  "28", // invalid authorization
  "3D", // invalid catalog name: the database does not exist (yet)
  "3F", // invalid schema name
  "40", // transaction rollback: serialization failure, deadlock
  "42", // syntax or access rule: missing table or column, privileges (an operator's change)
  "53", // insufficient resources: disk full, out of memory, too many connections
  "55", // object not in prerequisite state: lock_not_available (lock_timeout)
  "57", // operator intervention: admin shutdown, cannot connect now
  "58", // system error: I/O
  "F0", // configuration file error
  "XX", // internal error
]);

import type { Failure } from "../store";

const STATEMENT_TIMEOUT = "57014";

/** The SQLSTATE of an error Postgres sent, or undefined for anything else. */
export function sqlState(err: unknown): string | undefined {
  if (err instanceof postgres.PostgresError) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

export function classify(err: unknown): Failure {
  const code = sqlState(err);
  if (code === undefined) return "transient";
  if (code === STATEMENT_TIMEOUT) return "split";
  return DATABASE_CLASSES.has(code.slice(0, 2)) ? "transient" : "permanent";
}
