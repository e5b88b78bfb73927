// Operator endpoints: liveness, readiness, Prometheus metrics, dead letters.
import { Elysia } from "elysia";
import { invalid } from "../errors";
import { cacheFailed } from "./failures";
import { errorFields, log } from "../log";
import { collectProcess, Registry, render } from "../metrics";
import pkg from "../../package.json" with { type: "json" };
import { withDeadline } from "../store/store";
import type { Guards } from "./auth";
import { readJson } from "./body";
import type { Deps } from "./deps";
import { docs } from "./openapi";

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** This thread's metrics and every flusher thread's, added up. */
export function registryOf(d: Deps): Registry {
  const all = new Registry();
  all.add(d.metrics.snapshot());
  d.flushers?.collect(all);
  return all;
}

/** The most dead letters one redrive call moves, and one listing returns. */
export const MAX_REDRIVE = 10_000;
/** A dead letter's id as the listing gives it: `<ms>-<seq>@<partition>` (keys.ts). */
const ENTRY_ID = /^\d{1,20}-\d{1,20}@\d{1,4}$/;

/** A redrive body: {"ids": [...]} or {"all": true}; anything else is refused, so no typo re-drives everything. */
function redriveTargets(body: unknown): { ids: string[] } | { all: true } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw invalid("body", 'must be {"ids": [...]} or {"all": true}');
  }
  const fields = Object.keys(body);
  const unknown = fields.find((f) => f !== "ids" && f !== "all");
  if (unknown) throw invalid(unknown, 'unknown field; expected "ids" or "all"');
  const { ids, all } = body as { ids?: unknown; all?: unknown };
  if (ids !== undefined && all !== undefined) throw invalid("body", 'give either "ids" or "all", not both');
  if (all !== undefined) {
    if (all !== true) throw invalid("all", "must be true");
    return { all: true };
  }
  if (ids === undefined) throw invalid("body", 'must be {"ids": [...]} or {"all": true}');
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_REDRIVE) throw invalid("ids", `must be an array of 1..${MAX_REDRIVE} stream ids`);
  const bad = ids.findIndex((i) => typeof i !== "string" || !ENTRY_ID.test(i));
  if (bad >= 0) throw invalid(`ids/${bad}`, "not a dead-letter id (<ms>-<seq>@<partition>)");
  return { ids: ids as string[] };
}

export function opsRoutes(d: Deps, guard: Guards) {
  const { cache, store, config: c } = d;
  const timeout = Math.min(c.REDIS_COMMAND_TIMEOUT_MS, 2000);
  // /ready is polled: a failing check is logged when its state changes, not at every poll.
  const lastState: Record<string, string> = {};
  const check = async (name: string, probe: () => Promise<string>): Promise<string> => {
    let state: string;
    let error: unknown;
    try {
      state = await probe();
    } catch (err) {
      state = "unreachable";
      error = err;
    }
    if (state !== "ok" && lastState[name] !== state) {
      log.warn("readiness check failed", { check: name, state, ...(error ? errorFields(error) : {}) });
    }
    lastState[name] = state;
    return state;
  };

  /** Each dependency's state; a state per check, never the error's text: that is logged, not shown. */
  async function readiness() {
    const [redisState, dbState] = await Promise.all([
      check("redis", () => withDeadline(cache.ping(), timeout).then(() => "ok")),
      check(store.name, () => withDeadline(store.ping(), timeout)),
    ]);
    // The database's check is named after the store: postgres, mysql or sqlite.
    const checks = { redis: redisState, [store.name]: dbState };
    return { ok: redisState === "ok" && dbState === "ok" && !d.state.shuttingDown, checks };
  }

  return new Elysia()
    .get("/health", () => {
      const threads = d.flushers?.health() ?? [];
      const dead = threads.filter((t) => !t.alive);
      const stuck = threads.filter((t) => t.alive && t.stuck);
      let reason: string | undefined;
      if (d.state.shuttingDown) reason = "shutting down";
      else if (dead.length) reason = `flusher threads not alive: ${dead.map((t) => t.index)}`;
      else if (stuck.length) {
        reason = stuck
          .map((t) => `flusher thread ${t.index} has made no progress on one batch for ${Math.round(t.batchAgeMs / 1000)} s (${t.lastError ?? "no error"})`)
          .join("; ");
      }
      return json(reason ? 503 : 200, { status: reason ? "fail" : "ok", reason, threads });
    }, { detail: docs.health })
    .get("/ready", async () => {
      const r = await readiness();
      return json(r.ok ? 200 : 503, { status: r.ok ? "ok" : "fail", checks: r.checks, shuttingDown: d.state.shuttingDown });
    }, { detail: docs.ready })
    .get("/metrics", async ({ request, server }) => {
      if (c.METRICS_AUTH === "admin") guard.admin(request, server);
      const all = registryOf(d);
      collectProcess(all, pkg.version);
      all.set("writeback_ready", (await readiness()).ok ? 1 : 0);
      const threads = d.flushers?.health() ?? [];
      for (const state of ["alive", "stuck", "down"] as const) {
        const n = threads.filter((t) => (state === "down" ? !t.alive : t.alive && (state === "stuck") === t.stuck)).length;
        all.set("writeback_flusher_threads", n, { state });
      }
      try {
        const s = await withDeadline(cache.stats(), timeout);
        all.set("writeback_backlog_entries", s.backlog);
        all.set("writeback_dead_letter_entries", s.deadLetters);
        all.set("writeback_oldest_unpersisted_age_seconds", s.oldestAgeMs / 1000);
        const e = await withDeadline(cache.evictions(), timeout);
        all.set("writeback_redis_evicted_keys_total", e.evicted);
        all.set("writeback_redis_expired_keys_total", e.expired);
      } catch {
        // Redis unreachable: the gauges are left out rather than reported as zero.
      }
      return new Response(render(all), { headers: { "content-type": "text/plain; version=0.0.4" } });
    }, { detail: docs.metrics })
    .get("/dead-letters", async ({ request, server, query }) => {
      guard.admin(request, server);
      const count = Number(query.count ?? 100);
      if (!Number.isInteger(count) || count < 1 || count > MAX_REDRIVE) throw invalid("count", `must be 1..${MAX_REDRIVE}`);
      if (query.after !== undefined && !ENTRY_ID.test(query.after)) throw invalid("after", "not a dead-letter id (<ms>-<seq>@<partition>)");
      const deadLetters = await cache.deadLetters(count, query.after).catch(cacheFailed("after"));
      return { deadLetters };
    }, { detail: docs.deadLetters })
    .post(
      "/dead-letters/redrive",
      async ({ body }) => {
        const target = redriveTargets(body);
        // {"all": true}: the oldest MAX_REDRIVE letters; the expired among them are left and
        // counted (redrive.lua decides which those are), where named ids would be refused.
        const all = "all" in target;
        const ids = all ? (await cache.deadLetters(MAX_REDRIVE).catch(cacheFailed("all"))).map((l) => l.id) : target.ids;
        const r = ids.length ? await cache.redrive(ids, { leaveExpired: all }).catch(cacheFailed("ids")) : { moved: [], expired: [] };
        return all ? { redriven: r.moved.length, expired: r.expired.length } : { redriven: r.moved.length };
      },
      {
        // {"ids": [...]} picks entries; {"all": true} re-drives up to MAX_REDRIVE of the oldest.
        parse: ({ request, server }) => {
          guard.admin(request, server);
          return readJson(request, 1024 * 1024);
        },
        detail: docs.redrive,
      },
    );
}
