// The OpenAPI document, built without a server or a connection (as `bun run lint:api` does):
// every route the app serves is in it, keys are path templates and required query parameters,
// each error answer's examples carry its own codes, every example validates against the schema
// it illustrates, and /docs is served by the app itself. What needs the service running (a key
// read back through /get/{key}, the tokens each operation enforces, OPENAPI=false) is
// tests/openapi.test.ts.
import { beforeAll, describe, expect, test } from "bun:test";
import { Value } from "@sinclair/typebox/value";
import type { TSchema } from "@sinclair/typebox";
import { loadConfig } from "../../src/config";
import { createApp } from "../../src/http/app";
import { ERROR_EXAMPLES } from "../../src/http/error-examples";
import * as replies from "../../src/http/openapi";
import { PATH_TEMPLATES } from "../../src/http/openapi";
import * as bodies from "../../src/http/validate";
import { Registry } from "../../src/metrics";
import type { Doc, Operation, Param } from "../helpers/openapi-doc";


// The routes touch their dependencies only when called: listing them and serving the document needs none.
const app = createApp({ config: loadConfig({ API_TOKEN: "data-token", ADMIN_TOKEN: "admin-token" }), metrics: new Registry(), state: { shuttingDown: false } } as never);
const h = { app, request: (path: string, init?: RequestInit) => app.handle(new Request(`http://localhost${path}`, init)) };
let doc: Doc;
beforeAll(async () => {
  const r = await h.request("/openapi.json");
  expect(r.status).toBe(200);
  doc = (await r.json()) as Doc;
});

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
const op = (path: string, method: string) => doc.paths[path]?.[method] as Operation;
const param = (o: Operation, name: string, where: string) => o.parameters?.find((p) => p.name === name && p.in === where);

test("the document is OpenAPI 3.1 and lists every route the app serves, with its method", () => {
  expect(doc.openapi).toMatch(/^3\.1\./);
  const served = h.app.routes.filter((r) => !["/docs", "/docs/scalar.js", "/openapi.json"].includes(r.path));
  expect(served.length).toBeGreaterThan(10);
  for (const r of served) {
    const path = PATH_TEMPLATES[r.path]?.path ?? r.path;
    expect(op(path, r.method.toLowerCase())).toBeDefined();
  }
  for (const path of ["/set", "/del", "/incr", "/mset", "/mget", "/mdel", "/get", "/get/{key}", "/status", "/status/{key}", "/dead-letters/redrive"]) {
    expect(Object.keys(doc.paths)).toContain(path);
  }
  // Generators call what the document says: no literal wildcard paths.
  expect(Object.keys(doc.paths).filter((p) => p.includes("*"))).toEqual([]);
  const ids = operations().map((o) => o.op.operationId);
  expect(new Set(ids).size).toBe(ids.length);
});

test("keys are a required path parameter in /get/{key} and /status/{key}, a required query parameter in /get and /status", () => {
  for (const path of ["/get/{key}", "/status/{key}"]) {
    expect(param(op(path, "get"), "key", "path")).toMatchObject({ required: true, schema: { type: "string" } });
    expect(param(op(path, "get"), "key", "query")).toBeUndefined();
  }
  for (const path of ["/get", "/status"]) expect(param(op(path, "get"), "key", "query")).toMatchObject({ required: true });
});

test("servers, a license, /dead-letters' count and after, and 413 on /mget and the redrive are documented", () => {
  expect(doc.servers?.length).toBeGreaterThan(0);
  expect(doc.info.license?.name).toBeTruthy();
  const list = op("/dead-letters", "get");
  expect(param(list, "count", "query")?.schema).toMatchObject({ type: "integer", minimum: 1, maximum: 10000 });
  expect(param(list, "after", "query")).toBeDefined();
  expect(Object.keys(op("/mget", "post").responses)).toContain("413");
  expect(Object.keys(op("/dead-letters/redrive", "post").responses)).toContain("413");
});

test("every write documents its body, its 200 and 202, and its errors in the one error shape", () => {
  for (const path of ["/set", "/del", "/incr", "/mset", "/mdel"]) {
    const o = op(path, "post");
    expect(o.requestBody).toBeDefined();
    expect(Object.keys(o.responses)).toEqual(expect.arrayContaining(["200", "202", "422", "503"]));
  }
  expect(JSON.stringify(op("/incr", "post").responses["409"])).toContain("NOT_AN_INTEGER");
});

test("each error answer's examples show its own codes, with that status, in the error shape", () => {
  let checked = 0;
  for (const { path, method, op: o } of operations()) {
    for (const [status, response] of Object.entries(o.responses)) {
      if (Number(status) < 400 || path === "/health" || path === "/ready") continue;
      const media = response.content?.["application/json"];
      expect(media?.schema).toEqual({ $ref: "#/components/schemas/Error" });
      const examples = Object.entries(media?.examples ?? {});
      expect({ path, method, status, examples: examples.length > 0 }).toEqual({ path, method, status, examples: true });
      for (const [code, example] of examples) {
        expect(Value.Check(replies.ErrorReply, example.value)).toBe(true);
        expect((example.value as { error: { code: string } }).error.code).toBe(code);
        expect(ERROR_EXAMPLES[code]?.status).toBe(Number(status));
        checked++;
      }
    }
  }
  expect(checked).toBeGreaterThan(50);
});

test("every example validates against its schema, and the schemas in the document are those the routes check with", () => {
  const schemas = [...Object.values(bodies), ...Object.values(replies)].filter(
    (s): s is TSchema & { examples: unknown[] } => typeof s === "object" && s !== null && Array.isArray((s as { examples?: unknown }).examples),
  );
  expect(schemas.length).toBeGreaterThan(10);
  for (const schema of schemas) for (const example of schema.examples) expect(Value.Check(schema, example)).toBe(true);
  const setBody = JSON.stringify((op("/set", "post").requestBody as { content: Record<string, { schema: unknown }> }).content["application/json"]!.schema);
  expect(JSON.parse(setBody)).toMatchObject(JSON.parse(JSON.stringify(bodies.SetBody)));
});

describe("/docs", () => {
  test("is a page whose script is served by the app itself, pinned, not a CDN's", async () => {
    const r = await h.request("/docs");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("text/html");
    const html = await r.text();
    const scripts = [...html.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts).toEqual(["docs/scalar.js"]);
    const script = await h.request("/docs/scalar.js");
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toContain("javascript");
    expect((await script.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
  });
});

