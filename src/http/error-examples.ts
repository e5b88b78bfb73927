// One example answer per error code for the OpenAPI document, made by the constructors the
// routes throw with, so each answer shows its own code, status and message as a client gets
// them (not one VALIDATION example for every status).
import * as E from "../errors";
import { guards } from "./auth";

/** The error a guard throws: the 401 and 403 answers are made in auth.ts, not exported. */
function thrownBy(f: () => void): E.AppError {
  try {
    f();
  } catch (err) {
    if (err instanceof E.AppError) return err;
  }
  throw new Error("the guard did not refuse");
}
const anyRequest = new Request("http://localhost/");
const remoteCaller = { requestIP: () => ({ address: "203.0.113.7", family: "IPv4", port: 50000 }) } as never;

export const ERROR_EXAMPLES: Record<string, E.AppError> = Object.fromEntries(
  [
    E.badJson("JSON Parse error: Expected '}'"),
    thrownBy(() => guards("the-api-token", "").api(anyRequest)),
    thrownBy(() => guards("", "").admin(anyRequest, remoteCaller)),
    E.notFound("user:42"),
    E.methodNotAllowed("GET", ["POST"]),
    E.notAnInteger("the current value is not a 64-bit integer"),
    E.outOfRange("the result is outside the signed 64-bit range"),
    E.deadLetterExpired("1795640446546-0@7 is older than the tombstone retention"),
    E.tooLarge("request body", 16 * 1024 * 1024),
    E.unsupportedType("text/plain"),
    E.invalid("value", "expected required property"),
    E.redisUnavailable(),
    E.replicationTimeout("the write reached Redis but 0 of the 1 replicas required (REDIS_WAIT_REPLICAS) within 1000 ms"),
    E.dbUnavailable(),
    E.backlogFull("100000 writes of one partition not yet persisted"),
    E.shuttingDown(),
    E.contended(),
    E.internal(),
  ].map((e) => [e.code, e]),
);
