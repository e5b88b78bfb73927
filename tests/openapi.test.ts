// The OpenAPI document: every route the app serves is in it, with its method, and every
// example in it validates against the schema it illustrates.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Value } from "@sinclair/typebox/value";
import type { TSchema } from "@sinclair/typebox";
import * as replies from "../src/http/openapi";
import * as bodies from "../src/http/validate";
import { createDatabase } from "../src/testing/services";
import { harness, type Harness } from "./helpers/harness";

let h: Harness;
let drop: () => Promise<void>;
let doc: { openapi: string; paths: Record<string, Record<string, { requestBody?: unknown; responses?: Record<string, unknown> }>> };
beforeAll(async () => {
  const db = await createDatabase();
  drop = db.drop;
  h = await harness(db.url);
  const r = await h.request("/openapi.json");
  expect(r.status).toBe(200);
  doc = (await r.json()) as typeof doc;
});
afterAll(async () => {
  try {
    await h?.close();
  } finally {
    await drop?.(); // also when beforeAll failed half-way
  }
});

test("the document is OpenAPI 3.1 and lists every route the app serves, with its method", () => {
  expect(doc.openapi).toMatch(/^3\.1\./);
  const served = h.app.routes.filter((r) => r.path !== "/docs" && r.path !== "/openapi.json");
  expect(served.length).toBeGreaterThan(10);
  for (const r of served) {
    expect(doc.paths[r.path]?.[r.method.toLowerCase()]).toBeDefined();
  }
  for (const path of ["/set", "/del", "/incr", "/mset", "/mget", "/mdel", "/get/*", "/status/*", "/dead-letters/redrive"]) {
    expect(Object.keys(doc.paths)).toContain(path);
  }
});

test("every write documents its body, its 200 and 202, and its errors in the one error shape", () => {
  for (const path of ["/set", "/del", "/incr", "/mset", "/mdel"]) {
    const op = doc.paths[path]!.post!;
    expect(op.requestBody).toBeDefined();
    expect(Object.keys(op.responses!)).toEqual(expect.arrayContaining(["200", "202", "422", "503"]));
  }
  expect(JSON.stringify(doc.paths["/incr"]!.post!.responses!["409"])).toContain("NOT_AN_INTEGER");
});

test("every example validates against its schema, and the schemas in the document are those the routes check with", () => {
  const schemas = [...Object.values(bodies), ...Object.values(replies)].filter(
    (s): s is TSchema & { examples: unknown[] } => typeof s === "object" && s !== null && Array.isArray((s as { examples?: unknown }).examples),
  );
  expect(schemas.length).toBeGreaterThan(10);
  for (const schema of schemas) for (const example of schema.examples) expect(Value.Check(schema, example)).toBe(true);
  const setBody = JSON.stringify((doc.paths["/set"]!.post!.requestBody as { content: Record<string, { schema: unknown }> }).content["application/json"]!.schema);
  expect(JSON.parse(setBody)).toMatchObject(JSON.parse(JSON.stringify(bodies.SetBody)));
});

test("/docs is a browsable page", async () => {
  const r = await h.request("/docs");
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toContain("text/html");
});

test("OPENAPI=false hides the document and its page; the routes still answer", async () => {
  const db = await createDatabase();
  const off = await harness(db.url, { OPENAPI: "false" });
  try {
    expect((await off.request("/openapi.json")).status).toBe(404);
    expect((await off.request("/docs")).status).toBe(404);
    const r = await off.request("/set", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ key: "k", value: "v" }) });
    expect(r.status).toBe(200);
  } finally {
    await off.close();
    await db.drop();
  }
});
