// The status page: GET /ui, one HTML file embedded in the binary (no build step, no CDN), and
// GET /ui/data, the JSON it polls. The page itself holds no data and needs no token; the data
// and the redrive it calls are operator routes (ADMIN_TOKEN, or when unset, a request made on
// this host to localhost: auth.ts): the page asks for the token once and keeps it for the tab.
// Opened as http://localhost:<port>/ui (or 127.0.0.1, [::1]), its requests carry that Host.
import { Elysia } from "elysia";
import { cacheFailed } from "./failures";
import type { Guards } from "./auth";
import type { Deps } from "./deps";
import { docs } from "./openapi";
import { registryOf } from "./ops";
import { StatusHistory } from "./status";
import page from "./ui.html" with { type: "text" };

export function uiRoutes(d: Deps, guard: Guards) {
  const history = new StatusHistory(() => registryOf(d));
  return new Elysia()
    .get("/ui", () => new Response(page, { headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" } }), {
      detail: docs.ui,
    })
    .get(
      "/ui/data",
      async ({ request, server }) => {
        guard.admin(request, server);
        history.touch();
        const [stats, deadLetters] = await Promise.all([d.cache.stats(), d.cache.deadLetters(50)]).catch(cacheFailed());
        return {
          now: Date.now(),
          backlog: stats.backlog,
          oldestUnpersistedAgeSeconds: stats.oldestAgeMs / 1000,
          deadLetterCount: stats.deadLetters,
          threads: d.flushers?.health() ?? [],
          deadLetters,
          history: history.samples,
        };
      },
      { detail: docs.uiData },
    );
}
