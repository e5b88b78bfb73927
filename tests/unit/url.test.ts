// Keys in URLs (src/http/url.ts): percent-decoded as encodeURIComponent encodes ("+" is a plus
// sign), everything after the route's prefix (slashes included), a malformed escape refused
// with 422, absolute and relative request URLs alike.
import { describe, expect, test } from "bun:test";
import { AppError } from "../../src/errors";
import { keyFromPath, queryParam, rawPath } from "../../src/http/url";

const refusal = (work: () => unknown): AppError => {
  try {
    work();
  } catch (err) {
    return err as AppError;
  }
  throw new Error("expected a refusal");
};

describe("keys in paths", () => {
  test.each(["plain", "ключ 🎉", "a/b", "a+b", "100%", "a?b", "#frag", " spaced ", "..", "%2F"])("%s round-trips through encodeURIComponent", (key) => {
    expect(keyFromPath(`http://h/get/${encodeURIComponent(key)}`, "/get/")).toBe(key);
  });

  test("everything after the prefix is the key: several segments, no dot-segment normalisation, + stays a plus", () => {
    expect(keyFromPath("http://h/get/a/b/c", "/get/")).toBe("a/b/c");
    expect(keyFromPath("http://h/get/a/../b", "/get/")).toBe("a/../b");
    expect(keyFromPath("http://h/get/a+b", "/get/")).toBe("a+b");
    expect(keyFromPath("http://h/get/k?wait=persisted", "/get/")).toBe("k");
  });

  test("a request URL without scheme and host (HTTP/1.0 without Host) reads the same", () => {
    expect(keyFromPath("/get/a%20b", "/get/")).toBe("a b");
    expect(rawPath("/get/a%20b?x=1")).toBe("/get/a%20b");
    expect(rawPath("http://h:8000")).toBe("/");
  });

  test.each(["%FF", "%E0%A4%A", "%", "%zz"])("a malformed escape (%s) is refused with 422 VALIDATION, not read as another key", (bad) => {
    const e = refusal(() => keyFromPath(`http://h/get/${bad}`, "/get/"));
    expect(e).toBeInstanceOf(AppError);
    expect([e.status, e.code]).toEqual([422, "VALIDATION"]);
    expect(e.message).toStartWith("key:");
  });
});

describe("query parameters", () => {
  test("the first occurrence, decoded like a key; absent is undefined, a bare name is empty", () => {
    expect(queryParam("http://h/get?key=a%2Bb&key=other", "key")).toBe("a+b");
    expect(queryParam("http://h/get?key=a+b", "key")).toBe("a+b");
    expect(queryParam("http://h/get?x=1", "key")).toBeUndefined();
    expect(queryParam("http://h/get", "key")).toBeUndefined();
    expect(queryParam("http://h/get?key", "key")).toBe("");
    expect(queryParam("http://h/get?k=1&key=%E2%9C%93", "key")).toBe("✓");
  });

  test("a malformed escape in a parameter is refused, naming the parameter", () => {
    const e = refusal(() => queryParam("http://h/get?timeout_ms=%FF", "timeout_ms"));
    expect([e.status, e.message.split(":")[0]]).toEqual([422, "timeout_ms"]);
  });
});
