// What a client sees for each failure below the HTTP layer (src/http/failures.ts): every typed
// error of src/cache/ gets its code and status in the one error shape; anything else is the
// cache or the database being unavailable, and the database's own words never reach the client.
import { describe, expect, test } from "bun:test";
import { ReplyError } from "ioredis";
import { PartialRedriveError } from "../../src/cache/dead";
import { BackpressureError, CacheTimeoutError, ExpiredDeadLetterError, NotAnIntegerError, OutOfRangeError, ReplicationTimeoutError } from "../../src/cache/errors";
import { AppError, contended } from "../../src/errors";
import { fromCache, fromStore } from "../../src/http/failures";

describe("a cache failure", () => {
  test.each([
    [new BackpressureError("backlog", "the stream is full"), 503, "BACKPRESSURE"],
    [new NotAnIntegerError("not an integer"), 409, "NOT_AN_INTEGER"],
    [new OutOfRangeError("overflow"), 409, "OUT_OF_RANGE"],
    [new ExpiredDeadLetterError("too old"), 409, "DEAD_LETTER_EXPIRED"],
    [new ReplicationTimeoutError(1, 0, 100), 503, "REPLICATION_TIMEOUT"],
    [new CacheTimeoutError(1000), 503, "REDIS_UNAVAILABLE"],
    [new Error("Connection is closed."), 503, "REDIS_UNAVAILABLE"],
    [new ReplyError("OOM command not allowed"), 503, "REDIS_UNAVAILABLE"],
  ])("%p answers %d %s", (err, status, code) => {
    const e = fromCache(err);
    expect([e.status, e.code]).toEqual([status, code]);
    expect(e.toJSON()).toEqual({ error: { code, message: e.message } });
  });

  test("a refusal of Redis's own about a request field is 422 naming the field, where the route names one", () => {
    const e = fromCache(new ReplyError("ERR Invalid stream ID"), "after");
    expect([e.status, e.code, e.message]).toEqual([422, "VALIDATION", "after: ERR Invalid stream ID"]);
  });

  test("a redrive stopped halfway says what moved, with the code of what stopped it", () => {
    const full = new PartialRedriveError(new BackpressureError("backlog", "the stream is full"), ["1-0@0"], [], ["2-0@0"]);
    const e = fromCache(full);
    expect([e.status, e.code, e.message, e.headers]).toEqual([503, "BACKPRESSURE", full.message, { "Retry-After": "1" }]);
    expect(e.message).toContain("1-0@0");
    expect(fromCache(new PartialRedriveError(new Error("down"), [], ["1-0@0"], [])).code).toBe("REDIS_UNAVAILABLE");
  });

  test("an answer already decided (an AppError) passes as it is", () => {
    const e = contended();
    expect(fromCache(e)).toBe(e);
    expect(fromStore(e)).toBe(e);
  });
});

test("a database failure is 503 DB_UNAVAILABLE, without the database's words", () => {
  const e = fromStore(new Error('database "secret_name" does not exist'));
  expect([e.status, e.code, e.headers]).toEqual([503, "DB_UNAVAILABLE", { "Retry-After": "1" }]);
  expect(e.message).not.toContain("secret_name");
  expect(e).toBeInstanceOf(AppError);
});
