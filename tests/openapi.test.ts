// The OpenAPI document against the running app: a key read back through /get/{key} as
// generators fill it in, each operation's security is what the app enforces, and OPENAPI=false
// hides the document while the routes still answer. What the document says by itself (no
// service needed) is tests/unit/openapi.test.ts.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createDatabase } from "../src/testing/services";
import { harness, type Harness } from "./helpers/harness";
import type { Doc, Operation, Param } from "./helpers/openapi-doc";


const TOKEN = "data-token";
const ADMIN = "admin-token";
let h: Harness;
let drop: () => Promise<void>;
let doc: Doc;
beforeAll(async () => {
  const db = await createDatabase();
  drop = db.drop;
  h = await harness(db.url, { API_TOKEN: TOKEN, ADMIN_TOKEN: ADMIN });
  const r = await h.request("/openapi.json");
  expect(r.status).toBe(200);
  doc = (await r.json()) as Doc;
});
afterAll(async () => {
  try {
    await h?.close();
  } finally {
    await drop?.(); // also when beforeAll failed half-way
  }
});

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
const op = (path: string, method: string) => doc.paths[path]?.[method] as Operation;
const param = (o: Operation, name: string, where: string) => o.parameters?.find((p) => p.name === name && p.in === where);

test("GET /get/{key} filled in as generators do (encodeURIComponent) reads the key; a/b, multi-segment paths and + keep their meaning", async () => {
  const keys = ["ключ 🎉", "a/b", "a+b", "100%"];
  for (const key of keys) {
    const r = await h.request("/set", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ key, value: `v:${key}` }),
    });
    expect(r.status).toBe(200);
  }
  for (const key of keys) {
    const r = await h.request(`/get/${encodeURIComponent(key)}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ key, value: `v:${key}` });
  }
  const multi = await h.request("/get/a/b", { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(await multi.json()).toMatchObject({ key: "a/b" });
});

test("both bearer schemes are declared, and each operation's security is what the app enforces", async () => {
  expect(doc.components.securitySchemes).toMatchObject({
    apiToken: { type: "http", scheme: "bearer" },
    adminToken: { type: "http", scheme: "bearer" },
  });
  expect(op("/set", "post").security).toContainEqual({ apiToken: [] });
  expect(op("/dead-letters", "get").security).toContainEqual({ adminToken: [] });
  expect(op("/health", "get").security).toEqual([]);
  for (const { path, method, op: o } of operations()) {
    const url = path.replace("{key}", "k");
    const init = { method: method.toUpperCase(), headers: { "content-type": "application/json" }, ...(method === "post" ? { body: "{}" } : {}) };
    const schemes = (o.security ?? []).flatMap((s) => Object.keys(s));
    const anonymous = await h.request(url, init);
    // /metrics takes the admin token only with METRICS_AUTH=admin (not set here), as documented.
    const required = path === "/metrics" ? [] : schemes;
    expect({ path, method, status: anonymous.status === 401 }).toEqual({ path, method, status: required.length > 0 });
    if (required.length === 0) continue;
    const token = required.includes("apiToken") ? TOKEN : ADMIN;
    const withToken = await h.request(url, { ...init, headers: { ...init.headers, authorization: `Bearer ${token}` } });
    expect({ path, method, status: withToken.status }).not.toEqual({ path, method, status: 401 });
  }
});

test("OPENAPI=false hides the document, its page and the page's script; the routes still answer", async () => {
  const db = await createDatabase();
  const off = await harness(db.url, { OPENAPI: "false" });
  try {
    expect((await off.request("/openapi.json")).status).toBe(404);
    expect((await off.request("/docs")).status).toBe(404);
    expect((await off.request("/docs/scalar.js")).status).toBe(404);
    const r = await off.request("/set", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ key: "k", value: "v" }) });
    expect(r.status).toBe(200);
  } finally {
    await off.close();
    await db.drop();
  }
});
