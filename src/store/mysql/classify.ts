// Which MySQL / MariaDB failures are worth retrying, decided by the server's error number
// (never by message text). An error without one is the connection's (refused, closed, lost).
// Bun's MySQLError is recognised with instanceof, never by its name (a class's name is not
// something the build promises to keep).
import { SQL } from "bun";
import type { Failure } from "../store";

// The rule is Postgres's: only an error about what the rows hold is permanent (the rows go to
// the dead letters). Every other server error (about the server, the connection, the user's
// limits such as 1226 max_user_connections, the prepared-statement limit 1461, locks, an
// operator's action, a missing table) says nothing about the rows: retried, forever. So the
// permanent codes are listed, not the transient: an error missing from the list costs a retry
// (and /health names it), never a good row.

/** What the rows hold: bad data, a constraint, a value too long, a trigger's exception. */
const PERMANENT = new Set([
  1048, 1263, // NULL in a NOT NULL column
  1062, 1169, 1586, 1859, // duplicate key (a unique key an operator added)
  1216, 1217, 1451, 1452, 1557, 1761, 1762, // foreign keys
  1264, 1690, // value out of range
  1265, 1406, // data truncated, data too long for the column
  1292, 1366, 1367, 1411, 1300, 1918, // an incorrect value, an invalid character string
  1365, // division by zero (an operator's generated column or trigger)
  1644, // a trigger's SIGNAL
  3819, 4025, // CHECK constraint (MySQL 8, MariaDB)
  3140, // invalid JSON text (MySQL)
]);

/** The statement was too large for the server: split the batch; a row alone still too large is dead-lettered. */
const TOO_LARGE = new Set([
  1153, // packet larger than max_allowed_packet
  1301, // a result larger than max_allowed_packet
  1118, // row size too large
  1390, // too many placeholders in one statement
]);

/** The statement was too slow: split the batch; a row alone still too slow is retried. */
const TOO_SLOW = new Set([
  1969, // MariaDB: max_statement_time exceeded
  3024, // MySQL: max_execution_time exceeded
]);

/** The server's error number, or undefined for a connection failure. */
export function errno(err: unknown): number | undefined {
  const n = (err as { errno?: unknown } | null)?.errno;
  return err instanceof SQL.MySQLError && typeof n === "number" ? n : undefined;
}

export function classify(err: unknown): Failure {
  const n = errno(err);
  if (n === undefined) return "transient"; // the connection's: refused, closed, lost
  if (PERMANENT.has(n)) return "permanent";
  if (TOO_LARGE.has(n)) return "too_large";
  if (TOO_SLOW.has(n)) return "split";
  return "transient";
}
