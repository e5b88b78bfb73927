// Who may call what. Data routes (/set, /get) need API_TOKEN when it is set. Operator routes
// (/dead-letters*, and /metrics with METRICS_AUTH=admin) need ADMIN_TOKEN when it is set, and
// when it is not, answer only callers on the loopback interface: dead letters hold users'
// values, and a redrive changes data.
import { createHash, timingSafeEqual } from "node:crypto";
import type { Server } from "bun";
import { AppError } from "../errors";

const unauthorized = (what: string) =>
  new AppError("UNAUTHORIZED", 401, `${what} needs an Authorization: Bearer token`, { "WWW-Authenticate": "Bearer" });
const forbidden = () =>
  new AppError("FORBIDDEN", 403, "operator endpoints answer only on loopback unless ADMIN_TOKEN is set");

const digest = (s: string) => createHash("sha256").update(s).digest();

/** Compares in constant time: both sides are hashed to the same length first. */
function bearerMatches(header: string | null, token: string): boolean {
  if (!header || !/^Bearer /i.test(header)) return false;
  return timingSafeEqual(digest(header.slice(7).trim()), digest(token));
}

function isLoopback(address: string): boolean {
  return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
}

export interface Guards {
  /** throws 401 unless the request carries API_TOKEN (when one is set) */
  api(request: Request): void;
  /** throws 401/403 unless the request carries ADMIN_TOKEN, or (none set) comes from loopback */
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
      // No server: the request was handed to the app in-process (tests), not over a socket.
      if (!server) return;
      const ip = server.requestIP(request);
      if (!ip || !isLoopback(ip.address)) throw forbidden();
    },
  };
}
