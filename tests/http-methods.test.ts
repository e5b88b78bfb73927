// A known path asked with the wrong method is 405 with Allow (not 404 ROUTE_NOT_FOUND), and
// every JSON answer, success or error, has the one content type application/json.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createDatabase } from "../src/testing/services";
import { harness, type Harness } from "./helpers/harness";

let h: Harness;
let drop: () => Promise<void>;
beforeAll(async () => {
  const db = await createDatabase();
  drop = db.drop;
  h = await harness(db.url);
});
afterAll(async () => {
  await h.close();
  await drop();
});

const errorOf = async (r: Response) => ((await r.json()) as { error: { code: string; message: string } }).error;

test("a known path with the wrong method is 405 METHOD_NOT_ALLOWED naming the methods it answers in Allow", async () => {
  for (const [method, path, allow] of [
    ["GET", "/set", "POST"],
    ["PUT", "/mget", "POST"],
    ["POST", "/get/k", "GET, HEAD"],
    ["DELETE", "/get/a%2Fb/c", "GET, HEAD"],
    ["POST", "/status?key=k", "GET, HEAD"],
    ["DELETE", "/dead-letters", "GET, HEAD"],
    ["GET", "/dead-letters/redrive", "POST"],
  ] as const) {
    const r = await h.request(path, { method });
    expect({ method, path, status: r.status, allow: r.headers.get("allow") }).toEqual({ method, path, status: 405, allow });
    expect(r.headers.get("content-type")).toBe("application/json");
    const e = await errorOf(r);
    expect(e.code).toBe("METHOD_NOT_ALLOWED");
    expect(e.message).toContain(method);
  }
});

test("an unknown path is still 404 ROUTE_NOT_FOUND, whatever the method", async () => {
  for (const method of ["GET", "POST"]) {
    const r = await h.request("/nope", { method });
    expect(r.status).toBe(404);
    expect(r.headers.get("allow")).toBeNull();
    expect((await errorOf(r)).code).toBe("ROUTE_NOT_FOUND");
  }
});

test("success and error answers have the same content type, application/json", async () => {
  const ok = await h.post("ct", "v");
  expect(ok.status).toBe(200);
  const read = await h.request("/get/ct");
  expect(read.status).toBe(200);
  const missing = await h.request("/get/absent");
  expect(missing.status).toBe(404);
  const bad = await h.request("/set", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  expect(bad.status).toBe(422);
  const doc = await h.request("/openapi.json");
  const health = await h.request("/health");
  for (const r of [ok, read, missing, bad, doc, health]) expect(r.headers.get("content-type")).toBe("application/json");
  // Answers that are not JSON keep their own type.
  expect((await h.request("/ui")).headers.get("content-type")).toContain("text/html");
  expect((await h.request("/metrics")).headers.get("content-type")).toContain("text/plain");
});
