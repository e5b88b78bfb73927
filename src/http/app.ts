// The HTTP application: routes plus one error handler that gives every failure the same
// JSON shape, {"error": {"code", "message"}}, with the status its code implies.
import { Elysia } from "elysia";
import { AppError, badJson, internal, routeNotFound } from "../errors";
import { errorFields, log } from "../log";
import { guards } from "./auth";
import type { Deps } from "./deps";
import { batchRoutes } from "./batch";
import { kvRoutes } from "./kv";
import { openapiPlugin } from "./openapi";
import { opsRoutes } from "./ops";
import { uiRoutes } from "./ui";

function toAppError(code: string | number, error: unknown): AppError {
  if (error instanceof AppError) return error;
  switch (code) {
    case "NOT_FOUND":
      return routeNotFound();
    case "PARSE": {
      // Elysia wraps whatever a parser throws; ours throws typed errors (401, 403, 415, 413, 400).
      // (Routes validate their bodies themselves, so Elysia's own VALIDATION never occurs.)
      const cause = (error as Error).cause;
      return cause instanceof AppError ? cause : badJson(String((cause as Error)?.message ?? cause));
    }
    default:
      log.error("unhandled error", errorFields(error));
      return internal();
  }
}

export function createApp(d: Deps) {
  const guard = guards(d.config.API_TOKEN, d.config.ADMIN_TOKEN);
  return new Elysia()
    .onError(({ code, error }) => {
      const e = toAppError(code, error);
      return new Response(JSON.stringify(e.toJSON()), {
        status: e.status,
        headers: { "content-type": "application/json", ...e.headers },
      });
    })
    .use(d.config.OPENAPI ? openapiPlugin() : new Elysia())
    .use(kvRoutes(d, guard))
    .use(batchRoutes(d, guard))
    .use(opsRoutes(d, guard))
    .use(uiRoutes(d, guard));
}
