// Operator endpoints: liveness, readiness, Prometheus metrics, dead letters.
import { Elysia } from "elysia";
import { viewDeadLetter } from "../flusher/dead";
import { Registry, render } from "../metrics";
import { isReady, withDeadline } from "../store/db";
import { invalid, redisUnavailable } from "../errors";
import { readJson } from "./body";
import type { Deps } from "./deps";

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

export function opsRoutes(d: Deps) {
  const { redis, keys: k } = d;
  const timeout = Math.min(d.config.REDIS_COMMAND_TIMEOUT_MS, 2000);

  return new Elysia()
    .get("/health", () => {
      const threads = d.flushers?.health() ?? [];
      const dead = threads.filter((t) => !t.alive);
      const ok = dead.length === 0 && !d.state.shuttingDown;
      const reason = d.state.shuttingDown ? "shutting down" : dead.length ? `flusher threads not alive: ${dead.map((t) => t.index)}` : undefined;
      return json(ok ? 200 : 503, { status: ok ? "ok" : "fail", reason, threads });
    })
    .get("/ready", async () => {
      const checks: Record<string, string> = {};
      await Promise.all([
        withDeadline(redis.ping(), timeout).then(
          () => (checks.redis = "ok"),
          (e) => (checks.redis = `unreachable: ${e?.message ?? e}`),
        ),
        withDeadline(isReady(d.db), timeout).then(
          (ok) => (checks.postgres = ok ? "ok" : "schema missing"),
          (e) => (checks.postgres = `unreachable: ${e?.message ?? e}`),
        ),
      ]);
      const ok = Object.values(checks).every((v) => v === "ok") && !d.state.shuttingDown;
      return json(ok ? 200 : 503, { status: ok ? "ok" : "fail", checks, shuttingDown: d.state.shuttingDown });
    })
    .get("/metrics", async () => {
      const all = new Registry();
      all.add(d.metrics.snapshot());
      d.flushers?.collect(all);
      try {
        const [backlog, oldest, dead] = await withDeadline(
          Promise.all([redis.xlen(k.stream), redis.xrange(k.stream, "-", "+", "COUNT", 1), redis.xlen(k.dead)]),
          timeout,
        );
        all.set("writeback_backlog_entries", backlog);
        all.set("writeback_dead_letter_entries", dead);
        const ms = oldest[0] ? Number(oldest[0][0].split("-")[0]) : Date.now();
        all.set("writeback_oldest_unpersisted_age_seconds", Math.max(0, Date.now() - ms) / 1000);
      } catch {
        // Redis unreachable: the gauges are left out rather than reported as zero.
      }
      return new Response(render(all), { headers: { "content-type": "text/plain; version=0.0.4" } });
    })
    .get("/dead-letters", async ({ query }) => {
      const count = Number(query.count ?? 100);
      if (!Number.isInteger(count) || count < 1 || count > 10_000) throw invalid("count", "must be 1..10000");
      try {
        const entries = await redis.xrange(k.dead, query.after ? `(${query.after}` : "-", "+", "COUNT", count);
        return { deadLetters: entries.map(viewDeadLetter) };
      } catch (err) {
        if ((err as Error).name === "ReplyError") throw invalid("after", "not a stream id");
        throw redisUnavailable();
      }
    })
    .post(
      "/dead-letters/redrive",
      async ({ body }) => {
        const ids = (body as { ids?: unknown } | undefined)?.ids;
        let targets: string[];
        if (ids === undefined) {
          const all = await redis.xrange(k.dead, "-", "+", "COUNT", 10_000).catch(() => {
            throw redisUnavailable();
          });
          targets = all.map(([id]) => id);
        } else if (Array.isArray(ids) && ids.every((i) => typeof i === "string" && /^\d+-\d+$/.test(i))) {
          targets = ids as string[];
        } else throw invalid("ids", "must be an array of stream ids");
        let moved = 0;
        for (let i = 0; i < targets.length; i += 1000) {
          moved += await redis.wbRedrive(k.dead, k.stream, ...targets.slice(i, i + 1000)).catch(() => {
            throw redisUnavailable();
          });
        }
        return { redriven: moved };
      },
      // No body, or {} re-drives everything (up to 10,000 per call); {"ids": [...]} picks.
      { parse: ({ request }) => readJson(request, 1024 * 1024, { optional: true }) },
    );
}
