// Which MySQL / MariaDB failures are worth retrying, decided by the server's error number
// (never by message text). An error without one is the connection's (refused, closed, lost).
// Bun's MySQLError is recognised with instanceof, never by its name (a class's name is not
// something the build promises to keep).
import { SQL } from "bun";
import type { Failure } from "../store";

/** Errors about the server's or the connection's state, not the rows: retried. */
const TRANSIENT = new Set([
  1040, // too many connections
  1041, 1037, 1038, // out of memory
  1021, 1114, // disk full, table full
  1044, 1045, 1142, 1143, // access denied (an operator's change)
  1046, 1049, 1146, // no database, unknown database, no such table (an operator restoring)
  1053, // server shutdown in progress
  1205, // lock wait timeout
  1213, // deadlock
  1290, 1836, // read-only server (a failover in progress)
  1927, // MariaDB: connection killed
  1317, // query interrupted (KILL QUERY)
  1158, 1159, 1160, 1161, // network read or write errors
  2002, 2003, 2006, 2013, // cannot connect, server gone away, lost connection
]);

/** The statement was too slow or too large: split the batch. */
const SPLIT = new Set([
  1153, // packet larger than max_allowed_packet
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
  if (n === undefined || TRANSIENT.has(n)) return "transient";
  return SPLIT.has(n) ? "split" : "permanent";
}
