// The OpenAPI 3.1 document (GET /openapi.json) and its browsable page (GET /docs), generated
// by Elysia's official plugin from the routes and the `detail` each route declares here. The
// request bodies are the same TypeBox objects the routes check against (validate.ts), so the
// document cannot drift from what is enforced; the replies are described by the schemas below.
import { openapi } from "@elysiajs/openapi";
import type { DocumentDecoration } from "elysia";
import { Type as T, type TSchema } from "@sinclair/typebox";
import pkg from "../../package.json" with { type: "json" };
import { DelBody, IncrBody, MdelBody, MgetBody, MsetBody, SetBody } from "./validate";

export const ErrorReply = T.Object(
  { error: T.Object({ code: T.String({ description: "stable; listed in the README" }), message: T.String() }) },
  { examples: [{ error: { code: "VALIDATION", message: "value: expected required property" } }] },
);
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
  { key: T.String(), version: Version, persistedVersion: T.Union([Version, T.Null()]), dirty: T.Boolean() },
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
const Probe = T.Object({ status: T.Union([T.Literal("ok"), T.Literal("fail")]) }, { additionalProperties: true });

const json = (schema: TSchema) => ({ "application/json": { schema: schema as never } });
const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [c, { description: ERROR_TEXT[c] ?? "error", content: json(ErrorReply) }]));
const ERROR_TEXT: Record<number, string> = {
  400: "INVALID_JSON",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  409: "NOT_AN_INTEGER, OUT_OF_RANGE, DEAD_LETTER_EXPIRED",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  422: "VALIDATION",
  503: "REDIS_UNAVAILABLE, REPLICATION_TIMEOUT, DB_UNAVAILABLE, BACKPRESSURE, SHUTTING_DOWN",
};
const WAIT: never[] = [
  { name: "wait", in: "query" as const, schema: { type: "string", enum: ["persisted"] }, description: "answer once the write is committed to the database" },
  { name: "timeout_ms", in: "query" as const, schema: { type: "integer", minimum: 1, maximum: 60000, default: 5000 } },
] as never[];
const KEY_PARAMS: never[] = [
  { name: "key", in: "query" as const, schema: { type: "string" }, description: "the key, for /get?key= (or percent-encoded in the path: /get/<key>)" },
] as never[];
const SOURCE = { name: "source", in: "query" as const, schema: { type: "string", enum: ["cache", "db"], default: "cache" } } as never;

function write(summary: string, body: TSchema, reply: TSchema, extra: number[] = []) {
  return {
    summary,
    parameters: WAIT,
    requestBody: { required: true, content: json(body) },
    responses: {
      200: { description: "acknowledged (in Redis)", content: json(reply) },
      202: { description: "acknowledged; with ?wait=persisted, not yet in the database at the timeout", content: json(reply) },
      ...errors(400, 401, 413, 415, 422, 503, ...extra),
    },
  };
}

/** Each route's documentation, by route. (OpenAPI objects; typed loosely, checked by the test.) */
export const docs: Record<string, DocumentDecoration> = {
  set: write("Write a key", SetBody, SetReply),
  del: write("Delete a key (a versioned tombstone)", DelBody, DelReply),
  incr: write("Add to a key's integer value, atomically", IncrBody, IncrReply, [409]),
  mset: write("Write several keys in one atomic step", MsetBody, MsetReply),
  mdel: write("Delete several keys in one atomic step", MdelBody, MdelReply),
  mget: { summary: "Read several keys", requestBody: { required: true, content: json(MgetBody) }, responses: { 200: { description: "in request order", content: json(MgetReply) }, ...errors(400, 401, 415, 422, 503) } },
  get: { summary: "Read a key", parameters: [...KEY_PARAMS, SOURCE], responses: { 200: { description: "found", content: json(GetReply) }, ...errors(401, 404, 422, 503) } },
  status: { summary: "A key's latest acknowledged and persisted versions", parameters: KEY_PARAMS, responses: { 200: { description: "ok", content: json(StatusReply) }, ...errors(401, 404, 422, 503) } },
  health: { summary: "Liveness", responses: { 200: { description: "alive", content: json(Probe) }, 503: { description: "a flusher thread down or stuck", content: json(Probe) } } },
  ready: { summary: "Readiness", responses: { 200: { description: "ready", content: json(Probe) }, 503: { description: "Redis or the database not ready", content: json(Probe) } } },
  metrics: { summary: "Prometheus metrics (text)", responses: { 200: { description: "text/plain; version=0.0.4" }, ...errors(401, 403) } },
  deadLetters: { summary: "List dead letters (admin)", responses: { 200: { description: "oldest first", content: json(DeadLettersReply) }, ...errors(401, 403, 422, 503) } },
  redrive: {
    summary: "Re-drive dead letters (admin)",
    description:
      "Every partition is checked before any letter moves: an expired named letter (409, naming each as <id>@<partition>) or a partition over its share of MAX_BACKLOG (503) refuses the whole request. The moves are then one script call per partition (on a Redis Cluster partitions are in different slots): writes arriving in between, or Redis failing, can stop it halfway, answered 503 naming the ids moved and not moved; a retry moves only what is still a dead letter.",
    requestBody: { required: true, content: json(RedriveBody) },
    responses: { 200: { description: "moved (a letter that is no write stays and is not counted)", content: json(RedriveReply) }, ...errors(400, 401, 403, 409, 415, 422, 503) },
  },
};

export const openapiPlugin = () =>
  openapi({
    path: "/docs",
    specPath: "/openapi.json",
    documentation: { info: { title: "writeback", version: pkg.version, description: "A write-behind cache: Redis in front of Postgres. Errors: README." } },
  });
