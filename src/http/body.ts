// Reads a JSON request body without trusting the client: the content type must be JSON and
// the body is cut off at `limit` bytes, declared length or not (chunked bodies included).
import { badJson, tooLarge, unsupportedType } from "../errors";

const JSON_TYPE = /^application\/json\s*(;|$)/i;

export async function readJson(request: Request, limit: number, o: { optional?: boolean } = {}): Promise<unknown> {
  if (o.optional && (!request.body || request.headers.get("content-length") === "0")) return {};
  const type = request.headers.get("content-type");
  if (!type || !JSON_TYPE.test(type)) throw unsupportedType(type);
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > limit) throw tooLarge("request body", limit);
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
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badJson((err as Error).message);
  }
}
