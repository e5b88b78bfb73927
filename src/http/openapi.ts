// The OpenAPI 3.1 document (GET /openapi.json) and its browsable page (GET /docs), generated
// by Elysia's official plugin from the routes and the `detail` each route declares here. The
// request bodies are the same TypeBox objects the routes check against (validate.ts), so the
// document cannot drift from what is enforced; the replies are described by the schemas below.
import { openapi } from "@elysiajs/openapi";
import type { DocumentDecoration } from "elysia";
import { Type as T, type TSchema } from "@sinclair/typebox";
import pkg from "../../package.json" with { type: "json" };
import { SCALAR_SCRIPT, scalarScript } from "./docs-page";
import { ERROR_EXAMPLES } from "./error-examples";
import { DelBody, IncrBody, MdelBody, MgetBody, MsetBody, SetBody } from "./validate";

// No example on the schema: each error answer shows examples of its own codes (errors() below).
export const ErrorReply = T.Object({
  error: T.Object({ code: T.String({ description: "stable; listed in the README" }), message: T.String({ description: "for humans; may change" }) }),
});
const Version = T.Integer({ description: "the write's version: microseconds of the Redis clock, rising per key", examples: [1795640446546126] });
const Persisted = T.Optional(T.Boolean({ description: "with ?wait=persisted: whether the write is in the database (202 when false)" }));
export const SetReply = T.Object(
  { status: T.Literal("cached"), key: T.String(), version: Version, persisted: Persisted },
  { examples: [{ status: "cached", key: "user:42", version: 1795640446546126 }] },
);
export const DelReply = T.Object(
  { status: T.Literal("deleted"), key: T.String(), version: Version, persisted: Persisted },
  { examples: [{ status: "deleted", key: "user:42", version: 1795640446546127 }] },
);
export const IncrReply = T.Object(
  { status: T.Literal("cached"), key: T.String(), value: T.String({ description: "the new value, a decimal integer" }), version: Version, persisted: Persisted },
  { examples: [{ status: "cached", key: "views:home", value: "42", version: 1795640446546128 }] },
);
const Items = T.Array(T.Object({ key: T.String(), version: Version }));
export const MsetReply = T.Object({ status: T.Literal("cached"), items: Items, persisted: Persisted }, { examples: [{ status: "cached", items: [{ key: "a", version: 1795640446546129 }] }] });
export const MdelReply = T.Object({ status: T.Literal("deleted"), items: Items, persisted: Persisted }, { examples: [{ status: "deleted", items: [{ key: "a", version: 1795640446546130 }] }] });
const Found = T.Object({ key: T.String(), value: T.String(), version: Version, source: T.Union([T.Literal("cache"), T.Literal("db")]) });
export const GetReply = T.Object(Found.properties, { examples: [{ key: "user:42", value: "Alice", version: 1795640446546126, source: "cache" }] });
export const MgetReply = T.Object(
  { items: T.Array(T.Union([Found, T.Object({ key: T.String(), found: T.Literal(false) })])) },
  { examples: [{ items: [{ key: "a", value: "1", version: 1795640446546129, source: "cache" }, { key: "b", found: false }] }] },
);
export const StatusReply = T.Object(
  {
    key: T.String(),
    version: Version,
    persistedVersion: T.Union([Version, T.Null()]),
    dirty: T.Boolean(),
    database: T.Optional(
      T.Literal("unavailable", {
        description:
          "present when the database could not be asked: the answer is Redis's alone (persistedVersion is the version when the cache knows it is committed, else null, and dirty is true)",
      }),
    ),
  },
  { examples: [{ key: "user:42", version: 1795640446546126, persistedVersion: 1795640446546126, dirty: false }] },
);
export const DeadLettersReply = T.Object({
  deadLetters: T.Array(
    T.Object({
      id: T.String({ description: "<ms>-<seq>@<partition>: the dead letter's id in its partition's dead-letter stream" }),
      key: T.Union([T.String(), T.Null()]),
      value: T.Union([T.String(), T.Null()]),
      version: T.Union([T.Integer(), T.Null()]),
      sourceId: T.Union([T.String(), T.Null()]),
      reason: T.Union([T.String(), T.Null()]),
      error: T.Union([T.String(), T.Null()]),
    }),
  ),
});
export const RedriveBody = T.Union([T.Object({ ids: T.Array(T.String({ pattern: "^\\d+-\\d+@\\d+$", description: "a dead letter's id as listed: <ms>-<seq>@<partition>" }), { minItems: 1, maxItems: 10_000 }) }, { additionalProperties: false }), T.Object({ all: T.Literal(true) }, { additionalProperties: false })], {
  examples: [{ ids: ["1795640446546-0@7"] }, { all: true }],
});
export const RedriveReply = T.Object({ redriven: T.Integer(), expired: T.Optional(T.Integer()) }, { examples: [{ redriven: 1 }] });
export const StatusPageReply = T.Object(
  {
    now: T.Integer({ description: "ms since the epoch" }),
    backlog: T.Integer(),
    oldestUnpersistedAgeSeconds: T.Number(),
    deadLetterCount: T.Integer(),
    threads: T.Array(T.Object({}, { additionalProperties: true })),
    deadLetters: DeadLettersReply.properties.deadLetters,
    history: T.Array(T.Object({}, { additionalProperties: true })),
  },
  { additionalProperties: true },
);
const Probe = T.Object({ status: T.Union([T.Literal("ok"), T.Literal("fail")]) }, { additionalProperties: true });

const json = (schema: TSchema) => ({ "application/json": { schema: schema as never } });
const RESPONSE_HEADERS: Record<number, Record<string, unknown>> = {
  401: { "WWW-Authenticate": { description: "Bearer", schema: { type: "string" } } },
  503: { "Retry-After": { description: "seconds to wait before retrying", schema: { type: "integer", minimum: 0 } } },
};
/** The error answers of an operation, by status: each with an example per code it can carry. */
function errors(...codes: string[]) {
  const byStatus = new Map<number, string[]>();
  for (const code of codes) {
    const e = ERROR_EXAMPLES[code];
    if (!e) throw new Error(`no example of the error code ${code}`);
    byStatus.set(e.status, [...(byStatus.get(e.status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, same]) => [
      status,
      {
        description: same.join(", "),
        ...(RESPONSE_HEADERS[status] ? { headers: RESPONSE_HEADERS[status] } : {}),
        content: {
          "application/json": {
            schema: { $ref: "#/components/schemas/Error" } as never,
            examples: Object.fromEntries(same.map((code) => [code, { value: ERROR_EXAMPLES[code]!.toJSON() }])),
          },
        },
      },
    ]),
  );
}
const BODY_ERRORS = ["INVALID_JSON", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE", "VALIDATION"];
const WRITE_ERRORS = [...BODY_ERRORS, "UNAUTHORIZED", "REDIS_UNAVAILABLE", "REPLICATION_TIMEOUT", "BACKPRESSURE", "SHUTTING_DOWN"];
const READ_ERRORS = ["UNAUTHORIZED", "VALIDATION", "REDIS_UNAVAILABLE", "DB_UNAVAILABLE"];
const OPERATOR_ERRORS = ["UNAUTHORIZED", "FORBIDDEN"];

// Who may call what (auth.ts). The empty requirement ({}) is the deployment without the token:
// data routes are then open, operator routes answer only on loopback.
type Security = Record<string, string[]>[];
const DATA = { security: [{ apiToken: [] }, {}] as Security, tags: ["data"] };
const OPERATOR = { security: [{ adminToken: [] }, {}] as Security, tags: ["operator"] };
const OPEN = { security: [] as Security, tags: ["operator"] };
const securitySchemes = {
  apiToken: {
    type: "http",
    scheme: "bearer",
    description: "API_TOKEN. When it is set, every data route (/set, /del, /incr, /mset, /mdel, /mget, /get, /status) needs Authorization: Bearer <API_TOKEN> (else 401 UNAUTHORIZED); when it is unset, they are open.",
  },
  adminToken: {
    type: "http",
    scheme: "bearer",
    description: "ADMIN_TOKEN. When it is set, the operator routes (/dead-letters, /dead-letters/redrive, /ui/data, and /metrics with METRICS_AUTH=admin) need Authorization: Bearer <ADMIN_TOKEN> (else 401 UNAUTHORIZED); when it is unset, they answer only callers on loopback (else 403 FORBIDDEN).",
  },
};

// OpenAPI parameter objects (typed loosely: Elysia copies them into the document as they are).
const WAIT: never[] = [
  { name: "wait", in: "query", schema: { type: "string", enum: ["persisted"] }, description: "answer once the write is committed to the database (200 with persisted: true), or at the timeout (202 with persisted: false)" },
  { name: "timeout_ms", in: "query", schema: { type: "integer", minimum: 1, maximum: 60000, default: 5000 }, description: "with wait=persisted: the longest wait" },
] as never[];
const KEY_SCHEMA = { type: "string", minLength: 1, examples: ["user:42"] };
const KEY_IN_QUERY = {
  name: "key",
  in: "query",
  required: true,
  schema: KEY_SCHEMA,
  description: "the key, percent-encoded as encodeURIComponent does (UTF-8; + is a plus sign, not a space); any key, . and .. included",
};
const KEY_IN_PATH = {
  name: "key",
  in: "path",
  required: true,
  schema: KEY_SCHEMA,
  description:
    "the key, percent-encoded as encodeURIComponent does (UTF-8): /get/a%2Fb is the key a/b, + is a plus sign, an escape that is not UTF-8 (%FF) is 422. The rest of the path is the key, so /get/a/b is a/b too. The keys . and .. cannot travel in a path (clients collapse them): use the query form.",
};
const SOURCE = { name: "source", in: "query", schema: { type: "string", enum: ["cache", "db"], default: "cache" }, description: "cache: Redis, then the database on a miss (read-through); db: the database only" };
const DEAD_LETTER_PAGE: never[] = [
  { name: "count", in: "query", schema: { type: "integer", minimum: 1, maximum: 10000, default: 100 }, description: "most dead letters to list" },
  { name: "after", in: "query", schema: { type: "string", pattern: "^\\d+-\\d+@\\d+$", examples: ["1795640446546-0@7"] }, description: "list those after this id (the last id of the previous page)" },
] as never[];

function write(operationId: string, summary: string, body: TSchema, reply: TSchema, extra: string[] = []) {
  return {
    operationId,
    summary,
    ...DATA,
    parameters: WAIT,
    requestBody: { required: true, content: json(body) },
    responses: {
      200: { description: "acknowledged (in Redis)", content: json(reply) },
      202: { description: "acknowledged; with ?wait=persisted, not yet in the database at the timeout", content: json(reply) },
      ...errors(...WRITE_ERRORS, ...extra),
    },
  };
}

const read = (operationId: string, summary: string, parameters: object[], reply: TSchema) => ({
  operationId,
  summary,
  ...DATA,
  parameters: parameters as never[],
  responses: { 200: { description: "found", content: json(reply) }, ...errors(...READ_ERRORS, "NOT_FOUND") },
});

/**
 * Each route's documentation, by route. (OpenAPI objects, typed loosely: Elysia copies them
 * into the document as they are; the test and `bun run lint:api` check them.)
 */
export const docs: Record<string, DocumentDecoration> = {
  set: write("set", "Write a key", SetBody, SetReply),
  del: write("del", "Delete a key (a versioned tombstone)", DelBody, DelReply),
  incr: write("incr", "Add to a key's integer value, atomically", IncrBody, IncrReply, ["NOT_AN_INTEGER", "OUT_OF_RANGE", "DB_UNAVAILABLE", "CONTENDED"]),
  mset: write("mset", "Write several keys in one atomic step", MsetBody, MsetReply),
  mdel: write("mdel", "Delete several keys in one atomic step", MdelBody, MdelReply),
  mget: { operationId: "mget", summary: "Read several keys", ...DATA, requestBody: { required: true, content: json(MgetBody) }, responses: { 200: { description: "in request order", content: json(MgetReply) }, ...errors(...BODY_ERRORS, ...READ_ERRORS) } },
  get: read("getByQuery", "Read a key (the key in the query)", [KEY_IN_QUERY, SOURCE], GetReply),
  getByPath: read("get", "Read a key", [KEY_IN_PATH, SOURCE], GetReply),
  status: read("statusByQuery", "A key's latest acknowledged and persisted versions (the key in the query)", [KEY_IN_QUERY], StatusReply),
  statusByPath: read("status", "A key's latest acknowledged and persisted versions", [KEY_IN_PATH], StatusReply),
  health: { operationId: "health", summary: "Liveness", ...OPEN, responses: { 200: { description: "alive", content: json(Probe) }, 503: { description: "a flusher thread down or stuck", content: json(Probe) } } },
  ready: { operationId: "ready", summary: "Readiness", ...OPEN, responses: { 200: { description: "ready", content: json(Probe) }, 503: { description: "Redis or the database not ready", content: json(Probe) } } },
  metrics: {
    operationId: "metrics",
    summary: "Prometheus metrics (text)",
    description: "Open unless METRICS_AUTH=admin, which makes it an operator route.",
    ...OPERATOR,
    security: [{}, { adminToken: [] }],
    responses: { 200: { description: "the Prometheus text exposition", content: { "text/plain": { schema: { type: "string" } } } }, ...errors(...OPERATOR_ERRORS) },
  },
  deadLetters: { operationId: "listDeadLetters", summary: "List dead letters (admin)", ...OPERATOR, parameters: DEAD_LETTER_PAGE, responses: { 200: { description: "oldest first", content: json(DeadLettersReply) }, ...errors(...OPERATOR_ERRORS, "VALIDATION", "REDIS_UNAVAILABLE") } },
  redrive: {
    operationId: "redriveDeadLetters",
    summary: "Re-drive dead letters (admin)",
    description:
      "Every partition is checked before any letter moves: an expired named letter (409, naming each as <id>@<partition>) or a partition over its share of MAX_BACKLOG (503) refuses the whole request. The moves are then one script call per partition (on a Redis Cluster partitions are in different slots): writes arriving in between, or Redis failing, can stop it halfway, answered 503 naming the ids moved and not moved; a retry moves only what is still a dead letter.",
    ...OPERATOR,
    requestBody: { required: true, content: json(RedriveBody) },
    responses: { 200: { description: "moved (a letter that is no write stays and is not counted)", content: json(RedriveReply) }, ...errors(...OPERATOR_ERRORS, ...BODY_ERRORS, "DEAD_LETTER_EXPIRED", "REDIS_UNAVAILABLE", "BACKPRESSURE") } },
  ui: { operationId: "statusPage", summary: "The status page (HTML)", ...OPEN, responses: { 200: { description: "one HTML page; its data comes from /ui/data", content: { "text/html": { schema: { type: "string" } } } } } },
  uiData: { operationId: "statusPageData", summary: "What the status page shows (admin)", ...OPERATOR, responses: { 200: { description: "backlog, flusher threads, dead letters and recent history", content: json(StatusPageReply) }, ...errors(...OPERATOR_ERRORS, "REDIS_UNAVAILABLE") } },
};

/**
 * The wildcard routes take the rest of the path as the key, "/" included (Elysia's `:key`
 * would take one segment). The document gives them as templates, which client generators
 * fill in percent-encoded; what the routes accept is unchanged.
 */
export const PATH_TEMPLATES: Record<string, { path: string; doc: DocumentDecoration }> = {
  "/get/*": { path: "/get/{key}", doc: docs.getByPath! },
  "/status/*": { path: "/status/{key}", doc: docs.statusByPath! },
};

// The document states package.json's licence. UNLICENSED (npm's word) means none was granted;
// a real one is an SPDX id, which OpenAPI 3.1 carries as `identifier`.
const LICENSE =
  pkg.license === "UNLICENSED" ? { name: "Proprietary (UNLICENSED): no licence granted" } : { name: pkg.license, identifier: pkg.license };

export const openapiPlugin = () =>
  openapi({
    path: "/docs",
    specPath: "/openapi.json",
    exclude: { paths: Object.keys(PATH_TEMPLATES) },
    // The page's script is served from the binary (docs-page.ts), pinned by the lockfile, at a
    // path relative to /docs like the document's. Nothing on the page calls another host: no
    // web fonts, no telemetry, no hosted AI agent or MCP generator, no developer toolbar.
    scalar: {
      cdn: SCALAR_SCRIPT.slice(1),
      withDefaultFonts: false,
      telemetry: false,
      showDeveloperTools: "never",
      agent: { disabled: true },
      mcp: { disabled: true },
      defaultOpenAllTags: true,
    } as never,
    documentation: {
      info: {
        title: "writeback",
        version: pkg.version,
        description:
          "A write-behind cache: Redis in front of Postgres. Every error is {\"error\": {\"code\", \"message\"}} with a stable code (the README lists them). A 503 carries Retry-After.",
        license: LICENSE,
      },
      servers: [{ url: "/", description: "the instance serving this document" }],
      tags: [
        { name: "data", description: "keys and values; API_TOKEN when set" },
        { name: "operator", description: "probes, metrics, dead letters, the status page; ADMIN_TOKEN (or loopback) where marked" },
      ],
      paths: Object.fromEntries(Object.values(PATH_TEMPLATES).map(({ path, doc }) => [path, { get: doc }])) as never,
      components: { securitySchemes, schemas: { Error: ErrorReply } } as never,
    },
  }).use(scalarScript());
