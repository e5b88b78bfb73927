// Who may call what. Data routes (/set, /get) need API_TOKEN when it is set. Operator routes
// (/dead-letters*, /ui/data, and /metrics with METRICS_AUTH=admin) need ADMIN_TOKEN when it is
// set: dead letters hold users' values, and a redrive changes data. When it is not set, they
// answer only requests made on this host, to this host:
//   - the peer is on the loopback interface;
//   - the Host header names loopback (localhost, 127.0.0.1, [::1], any port): a page on
//     evil.example whose name was re-bound to 127.0.0.1 (DNS rebinding) reaches the port from
//     the operator's own browser, but its requests carry `Host: evil.example`;
//   - no proxy says it forwarded the request (Forwarded, X-Forwarded-For, X-Real-IP): behind a
//     reverse proxy on the same host every request comes from loopback, whoever sent it.
// A proxy that forwards without saying so, and sets a loopback Host, cannot be told from a
// local client: a proxy in front of the operator routes needs ADMIN_TOKEN (README, Security).
import { createHash, timingSafeEqual } from "node:crypto";
import type { Server } from "bun";
import { AppError } from "../errors";

const unauthorized = (what: string) =>
  new AppError("UNAUTHORIZED", 401, `${what} needs an Authorization: Bearer token`, { "WWW-Authenticate": "Bearer" });
const forbidden = (why: string) =>
  new AppError("FORBIDDEN", 403, `operator endpoints answer only requests made on this host to localhost unless ADMIN_TOKEN is set: ${why}`);

const digest = (s: string) => createHash("sha256").update(s).digest();

/** Compares in constant time: both sides are hashed to the same length first. */
function bearerMatches(header: string | null, token: string): boolean {
  if (!header || !/^Bearer /i.test(header)) return false;
  return timingSafeEqual(digest(header.slice(7).trim()), digest(token));
}

function isLoopback(address: string): boolean {
  return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
}

/** localhost, 127.0.0.1 or [::1], with any port or none (a Host header's syntax). */
const LOOPBACK_HOST = /^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/i;
/** Headers a proxy adds to say it forwarded the request for someone else. */
const FORWARDED = ["forwarded", "x-forwarded-for", "x-real-ip"];

/** Why a request without a token is not one made on this host to this host; undefined when it is. */
function notLocal(request: Request, server: Server<unknown> | null | undefined): string | undefined {
  const proxied = FORWARDED.find((h) => request.headers.has(h));
  if (proxied) return `the request was forwarded by a proxy (${proxied})`;
  // A request handed to the app in-process (tests) has no Host header: its URL names the host.
  const host = request.headers.get("host") ?? new URL(request.url).host;
  if (!LOOPBACK_HOST.test(host)) return `Host ${JSON.stringify(host)} is not localhost`;
  // No server: the request was handed to the app in-process (tests), not over a socket.
  if (!server) return undefined;
  const ip = server.requestIP(request);
  if (!ip || !isLoopback(ip.address)) return "the caller is not on the loopback interface";
  return undefined;
}

export interface Guards {
  /** throws 401 unless the request carries API_TOKEN (when one is set) */
  api(request: Request): void;
  /** throws 401/403 unless the request carries ADMIN_TOKEN, or (none set) is made on this host to localhost */
  admin(request: Request, server: Server<unknown> | null | undefined): void;
}

export function guards(apiToken: string, adminToken: string): Guards {
  return {
    api(request) {
      if (apiToken && !bearerMatches(request.headers.get("authorization"), apiToken)) throw unauthorized("this route");
    },
    admin(request, server) {
      if (adminToken) {
        if (!bearerMatches(request.headers.get("authorization"), adminToken)) throw unauthorized("an operator endpoint");
        return;
      }
      const why = notLocal(request, server);
      if (why) throw forbidden(why);
    },
  };
}
