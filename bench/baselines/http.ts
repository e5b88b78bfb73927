// B-http: the framework's ceiling. The same Elysia route, body reader and TypeBox checks as
// POST /set, answering at once without touching Redis; and GET /get/<key> answering a constant.
import { Elysia } from "elysia";
import { loadConfig } from "../../src/config";
import { readJson } from "../../src/http/body";
import { checkWrite, setBodyLimit } from "../../src/http/validate";

const c = loadConfig();
const bodyLimit = setBodyLimit(c);
let version = 0;

new Elysia()
  .post(
    "/set",
    ({ body }) => {
      const { key, value } = checkWrite(body, c);
      return { status: "cached", key, version: ++version };
    },
    { parse: ({ request }) => readJson(request, bodyLimit) },
  )
  // Reads: the same answer shape as a cache hit, without Redis.
  .get("/get/*", ({ params }) => ({ key: params["*"], value: "x".repeat(32), version, source: "cache" }))
  .get("/health", () => ({ status: "ok" }))
  .listen({ port: c.PORT, hostname: c.HOST });
