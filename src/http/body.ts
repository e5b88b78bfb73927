// Reads a JSON request body without trusting the client: the content type must be JSON in
// UTF-8, the body is cut off at `limit` bytes, declared length or not (chunked bodies
// included), and bytes that are not UTF-8 are refused instead of replaced: replacing them
// (U+FFFD) would make two different keys one.
import { badJson, tooLarge, unsupportedType } from "../errors";

const JSON_TYPE = /^application\/json\s*(;|$)/i;
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;
const UTF8 = new TextDecoder("utf-8", { fatal: true });

function checkType(type: string | null): void {
  if (!type || !JSON_TYPE.test(type)) throw unsupportedType(type);
  const charset = CHARSET.exec(type)?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== "utf-8" && charset !== "utf8") throw unsupportedType(type);
}

export async function readJson(request: Request, limit: number, o: { optional?: boolean } = {}): Promise<unknown> {
  if (o.optional && (!request.body || request.headers.get("content-length") === "0")) return {};
  checkType(request.headers.get("content-type"));
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > limit) throw tooLarge("request body", limit);
  // A declared length bounds the body (the HTTP parser reads no more than it), so the whole
  // body can be taken at once. Only a chunked body needs counting as it arrives; a
  // ReadableStream reader costs about a quarter of the write path's CPU (bench/README.md).
  if (Number.isFinite(declared)) return parse(await request.arrayBuffer());
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        throw tooLarge("request body", limit);
      }
      chunks.push(value);
    }
  }
  return parse(Buffer.concat(chunks));
}

function parse(bytes: ArrayBuffer | Uint8Array): unknown {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw badJson("the body is not valid UTF-8");
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badJson((err as Error).message);
  }
}
