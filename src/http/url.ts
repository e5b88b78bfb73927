// Keys in URLs. Both forms percent-decode the key the same way (RFC 3986, as
// encodeURIComponent encodes): "+" is a plus sign, not a space, and a malformed escape such
// as %FF (not UTF-8) is refused with 422 rather than read as some other key.
// The URL is read as the client sent it, with or without a scheme and host: an HTTP/1.0
// request without a Host header arrives with a relative URL.
import { invalid } from "../errors";

/** The raw (still percent-encoded) path and query of a request URL. */
function split(url: string): { path: string; query: string } {
  const scheme = url.indexOf("://");
  const start = scheme < 0 ? 0 : url.indexOf("/", scheme + 3);
  const rest = start < 0 ? "/" : url.slice(start);
  const q = rest.indexOf("?");
  return q < 0 ? { path: rest, query: "" } : { path: rest.slice(0, q), query: rest.slice(q + 1) };
}

function decode(raw: string, field: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw invalid(field, "malformed percent-encoding (a key is UTF-8, percent-encoded as encodeURIComponent does)");
  }
}

/** The path of a request URL, still percent-encoded (as routes are matched). */
export const rawPath = (url: string): string => split(url).path;

/** The key of /<route>/<key>: everything after the prefix, decoded, no dot-segment normalisation. */
export function keyFromPath(url: string, prefix: string): string {
  return decode(split(url).path.slice(prefix.length), "key");
}

/** The first query parameter `name`, decoded like a path key; undefined when absent. */
export function queryParam(url: string, name: string): string | undefined {
  const { query } = split(url);
  if (!query) return undefined;
  for (const pair of query.split("&")) {
    const eq = pair.indexOf("=");
    const k = eq < 0 ? pair : pair.slice(0, eq);
    if (k === name) return decode(eq < 0 ? "" : pair.slice(eq + 1), name);
  }
  return undefined;
}
