// What the request bodies, keys and values may be. Checked before anything reaches Redis.
// The body schemas are TypeBox: the routes check against them, and the OpenAPI document is
// generated from the same objects (openapi.ts).
import { Type as T, type TSchema } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import type { Config } from "../config";
import { invalid, tooLarge } from "../errors";

const Key = T.String({ minLength: 1, description: "any Unicode text up to MAX_KEY_BYTES UTF-8 bytes, no control characters", examples: ["user:42"] });
const Value = T.String({ description: "any text up to MAX_VALUE_BYTES UTF-8 bytes, no U+0000", examples: ["Alice"] });
const KeyList = T.Array(Key, { minItems: 1, description: "1..MAX_BATCH_ITEMS keys" });

export const SetBody = T.Object({ key: Key, value: Value }, { additionalProperties: false, examples: [{ key: "user:42", value: "Alice" }] });
export const DelBody = T.Object({ key: Key }, { additionalProperties: false, examples: [{ key: "user:42" }] });
export const IncrBody = T.Object(
  { key: Key, by: T.Optional(T.Integer({ description: "default 1; may be negative; |by| < 2^53", examples: [1] })) },
  { additionalProperties: false, examples: [{ key: "views:home", by: 1 }] },
);
export const MsetBody = T.Object(
  { items: T.Array(T.Object({ key: Key, value: Value }, { additionalProperties: false }), { minItems: 1, description: "1..MAX_BATCH_ITEMS items" }) },
  { additionalProperties: false, examples: [{ items: [{ key: "a", value: "1" }, { key: "b", value: "2" }] }] },
);
export const MgetBody = T.Object(
  { keys: KeyList, source: T.Optional(T.Union([T.Literal("cache"), T.Literal("db")], { description: "default cache" })) },
  { additionalProperties: false, examples: [{ keys: ["a", "b"], source: "cache" }] },
);
export const MdelBody = T.Object({ keys: KeyList }, { additionalProperties: false, examples: [{ keys: ["a", "b"] }] });

const compiled = new Map<TSchema, ReturnType<typeof TypeCompiler.Compile>>();
/** The body, checked against `schema`; a 422 naming the first bad field otherwise. */
function checkShape<S extends TSchema>(schema: S, body: unknown): import("@sinclair/typebox").Static<S> {
  let c = compiled.get(schema);
  if (!c) compiled.set(schema, (c = TypeCompiler.Compile(schema)));
  if (!c.Check(body)) {
    const e = c.Errors(body).First()!;
    const field = e.path.replace(/^\//, "") || "body";
    throw invalid(field, e.message.toLowerCase());
  }
  return body as import("@sinclair/typebox").Static<S>;
}

// C0 and C1 control characters and DEL: invisible in logs and ambiguous in URLs.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function checkKey(key: string, maxBytes: number, field = "key"): void {
  if (key.length === 0) throw invalid(field, "must not be empty");
  if (Buffer.byteLength(key, "utf8") > maxBytes) throw invalid(field, `longer than ${maxBytes} bytes`);
  if (CONTROL.test(key)) throw invalid(field, "contains a control character");
  if (!key.isWellFormed()) throw invalid(field, "contains an unpaired UTF-16 surrogate");
}

function checkValue(value: string, maxBytes: number, field = "value"): void {
  if (Buffer.byteLength(value, "utf8") > maxBytes) throw tooLarge(field, maxBytes);
  // Postgres text cannot hold U+0000; refusing it here keeps it out of the dead-letter stream.
  if (value.includes("\u0000")) throw invalid(field, "contains U+0000, which Postgres cannot store");
  if (!value.isWellFormed()) throw invalid(field, "contains an unpaired UTF-16 surrogate");
}

/** The largest POST /set body: a value of MAX_VALUE_BYTES in which every byte is JSON-escaped (\u0001). */
export function setBodyLimit(c: Pick<Config, "MAX_KEY_BYTES" | "MAX_VALUE_BYTES">): number {
  return 6 * (c.MAX_VALUE_BYTES + c.MAX_KEY_BYTES) + 1024;
}

type Limits = Pick<Config, "MAX_KEY_BYTES" | "MAX_VALUE_BYTES">;
type BatchLimits = Limits & Pick<Config, "MAX_BATCH_ITEMS">;

/** Every check of a POST /set body: its shape, then the key, then the value. */
export function checkWrite(body: unknown, c: Limits): { key: string; value: string } {
  const w = checkShape(SetBody, body);
  checkKey(w.key, c.MAX_KEY_BYTES);
  checkValue(w.value, c.MAX_VALUE_BYTES);
  return w;
}

/** Every check of a POST /del body: its shape, then the key. */
export function checkDelete(body: unknown, c: Pick<Config, "MAX_KEY_BYTES">): { key: string } {
  const d = checkShape(DelBody, body);
  checkKey(d.key, c.MAX_KEY_BYTES);
  return d;
}

/** POST /incr: the key, and `by` (default 1) as an exact integer. */
export function checkIncr(body: unknown, c: Pick<Config, "MAX_KEY_BYTES">): { key: string; by: bigint } {
  const b = checkShape(IncrBody, body);
  checkKey(b.key, c.MAX_KEY_BYTES);
  const by = b.by ?? 1;
  // JSON numbers past 2^53 have already lost digits when parsed: refuse rather than guess.
  if (!Number.isSafeInteger(by)) throw invalid("by", "must be an integer with |by| < 2^53");
  return { key: b.key, by: BigInt(by) };
}

function checkCount(n: number, c: Pick<Config, "MAX_BATCH_ITEMS">, field: string): void {
  if (n > c.MAX_BATCH_ITEMS) throw invalid(field, `more than MAX_BATCH_ITEMS (${c.MAX_BATCH_ITEMS})`);
}

/** POST /mset: 1..MAX_BATCH_ITEMS items, each checked like a POST /set; a bad one names its index. */
export function checkMset(body: unknown, c: BatchLimits): { key: string; value: string }[] {
  const { items } = checkShape(MsetBody, body);
  checkCount(items.length, c, "items");
  items.forEach((w, i) => {
    checkKey(w.key, c.MAX_KEY_BYTES, `items/${i}/key`);
    checkValue(w.value, c.MAX_VALUE_BYTES, `items/${i}/value`);
  });
  return items;
}

/** POST /mget: 1..MAX_BATCH_ITEMS keys and a source. */
export function checkMget(body: unknown, c: BatchLimits): { keys: string[]; source: "cache" | "db" } {
  const b = checkShape(MgetBody, body);
  checkCount(b.keys.length, c, "keys");
  b.keys.forEach((k, i) => checkKey(k, c.MAX_KEY_BYTES, `keys/${i}`));
  return { keys: b.keys, source: b.source ?? "cache" };
}

/** POST /mdel: 1..MAX_BATCH_ITEMS keys. */
export function checkMdel(body: unknown, c: BatchLimits): string[] {
  const b = checkShape(MdelBody, body);
  checkCount(b.keys.length, c, "keys");
  b.keys.forEach((k, i) => checkKey(k, c.MAX_KEY_BYTES, `keys/${i}`));
  return b.keys;
}
