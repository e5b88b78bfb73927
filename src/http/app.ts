// The HTTP application: routes plus one error handler that gives every failure the same
// JSON shape, {"error": {"code", "message"}}, with the status its code implies.
import { Elysia } from "elysia";
import { AppError, badJson, internal, methodNotAllowed, routeNotFound } from "../errors";
import { errorFields, log } from "../log";
import { guards } from "./auth";
import type { Deps } from "./deps";
import { batchRoutes } from "./batch";
import { kvRoutes } from "./kv";
import { openapiPlugin } from "./openapi";
import { opsRoutes } from "./ops";
import { uiRoutes } from "./ui";
import { rawPath } from "./url";

type Route = { method: string; path: string };

/** The methods the app answers on `path` (a GET route answers HEAD too), from its own route table. */
export function allowedMethods(routes: Route[], path: string): string[] {
  const methods = new Set<string>();
  for (const r of routes) {
    const matches = r.path.endsWith("/*") ? path.startsWith(r.path.slice(0, -1)) : r.path === path;
    if (!matches) continue;
    methods.add(r.method);
    if (r.method === "GET") methods.add("HEAD");
  }
  return [...methods].sort();
}

function toAppError(code: string | number, error: unknown, request: Request, routes: () => Route[]): AppError {
  if (error instanceof AppError) return error;
  switch (code) {
    case "NOT_FOUND": {
      // A path the app knows, asked with another method: 405 naming the methods it answers.
      const allow = allowedMethods(routes(), rawPath(request.url));
      return allow.length ? methodNotAllowed(request.method, allow) : routeNotFound();
    }
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
  let table = (): Route[] => [];
  const app = new Elysia()
    // One content type for every JSON answer, errors included (Bun's Response.json would add
    // ";charset=utf-8", which application/json does not define). Routes that answer a
    // Response of their own (HTML, text, the page's script) keep theirs.
    .headers({ "content-type": "application/json" })
    .onError(({ code, error, request }) => {
      const e = toAppError(code, error, request, table);
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
  table = () => app.routes;
  return app;
}
