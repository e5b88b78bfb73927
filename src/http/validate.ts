// What a key and a value may be. Checked before anything reaches Redis.
import { Type as T } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import type { Config } from "../config";
import { invalid, tooLarge } from "../errors";

const SetBody = T.Object(
  { key: T.String({ minLength: 1 }), value: T.String() },
  { additionalProperties: false },
);
const setBody = TypeCompiler.Compile(SetBody);
const DelBody = T.Object({ key: T.String({ minLength: 1 }) }, { additionalProperties: false });
const delBody = TypeCompiler.Compile(DelBody);

// C0 and C1 control characters and DEL: invisible in logs and ambiguous in URLs.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function checkShape<T>(compiled: { Check(v: unknown): v is T; Errors(v: unknown): { First(): { path: string; message: string } | undefined } }, body: unknown): T {
  if (!compiled.Check(body)) {
    const e = compiled.Errors(body).First()!;
    const field = e.path.replace(/^\//, "") || "body";
    throw invalid(field, e.message.toLowerCase());
  }
  return body;
}

export function checkKey(key: string, maxBytes: number): void {
  if (key.length === 0) throw invalid("key", "must not be empty");
  if (Buffer.byteLength(key, "utf8") > maxBytes) throw invalid("key", `longer than ${maxBytes} bytes`);
  if (CONTROL.test(key)) throw invalid("key", "contains a control character");
  if (!key.isWellFormed()) throw invalid("key", "contains an unpaired UTF-16 surrogate");
}

function checkValue(value: string, maxBytes: number): void {
  if (Buffer.byteLength(value, "utf8") > maxBytes) throw tooLarge("value", maxBytes);
  // Postgres text cannot hold U+0000; refusing it here keeps it out of the dead-letter stream.
  if (value.includes("\u0000")) throw invalid("value", "contains U+0000, which Postgres cannot store");
  if (!value.isWellFormed()) throw invalid("value", "contains an unpaired UTF-16 surrogate");
}

/** The largest POST /set body: a value of MAX_VALUE_BYTES in which every byte is JSON-escaped (\u0001). */
export function setBodyLimit(c: Pick<Config, "MAX_KEY_BYTES" | "MAX_VALUE_BYTES">): number {
  return 6 * (c.MAX_VALUE_BYTES + c.MAX_KEY_BYTES) + 1024;
}

/** Every check of a POST /set body: its shape, then the key, then the value. */
export function checkWrite(
  body: unknown,
  c: Pick<Config, "MAX_KEY_BYTES" | "MAX_VALUE_BYTES">,
): { key: string; value: string } {
  const w = checkShape(setBody, body);
  checkKey(w.key, c.MAX_KEY_BYTES);
  checkValue(w.value, c.MAX_VALUE_BYTES);
  return w;
}

/** Every check of a POST /del body: its shape, then the key. */
export function checkDelete(body: unknown, c: Pick<Config, "MAX_KEY_BYTES">): { key: string } {
  const d = checkShape(delBody, body);
  checkKey(d.key, c.MAX_KEY_BYTES);
  return d;
}
