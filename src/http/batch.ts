// The batch routes: POST /mset and /mdel (all or nothing: one atomic step in Redis) and
// POST /mget (cache first, the misses from the database in one query).
import { Elysia } from "elysia";
import { cacheFailed, storeFailed } from "./failures";
import type { Guards } from "./auth";
import { readJson } from "./body";
import type { Deps } from "./deps";
import { checkMdel, checkMget, checkMset } from "./validate";
import { docs } from "./openapi";
import { countRead, fencesOf, fillBack } from "./reads";
import { writer } from "./writes";

export function batchRoutes(d: Deps, guard: Guards) {
  const { config: c, cache, store, metrics } = d;
  const { run, rejected } = writer(d);
  const parse = ({ request }: { request: Request }) => {
    guard.api(request);
    return readJson(request, c.MAX_BATCH_BYTES).catch(rejected);
  };
  const all = (r: { items: { key: string; version: number }[] }) => r.items;

  return new Elysia()
    .post(
      "/mset",
      ({ body, request, set }) =>
        run(
          request,
          set,
          () => checkMset(body, c),
          async (items) => {
            const versions = await cache.writeAll(items.map((w) => ({ op: "s" as const, key: w.key, value: w.value })));
            return { status: "cached", items: items.map((w, i) => ({ key: w.key, version: Number(versions[i]) })) };
          },
          all,
        ),
      { parse, detail: docs.mset },
    )
    .post(
      "/mdel",
      ({ body, request, set }) =>
        run(
          request,
          set,
          () => checkMdel(body, c),
          async (keys) => {
            const versions = await cache.writeAll(keys.map((key) => ({ op: "d" as const, key, value: "" })));
            return { status: "deleted", items: keys.map((key, i) => ({ key, version: Number(versions[i]) })) };
          },
          all,
        ),
      { parse, detail: docs.mdel },
    )
    .post(
      "/mget",
      async ({ body }) => {
        const { keys, source } = checkMget(body, c);
        type Item = { key: string; value: string; version: number; source: "cache" | "db" } | { key: string; found: false };
        const items: (Item | undefined)[] = new Array(keys.length);
        let misses: number[] = keys.map((_, i) => i);
        if (source === "cache") {
          const hits = await cache.getMany(keys).catch(cacheFailed());
          misses = [];
          hits.forEach((hit, i) => {
            if (!hit) misses.push(i);
            else if (hit.deleted) items[i] = { key: keys[i]!, found: false };
            else items[i] = { key: keys[i]!, value: hit.value, version: hit.version, source: "cache" };
            countRead(metrics, hit);
          });
        }
        if (misses.length > 0) {
          const missed = [...new Set(misses.map((i) => keys[i]!))];
          // Read before the database: a fill is refused if the fence moved meanwhile (reads.ts).
          const fences = source === "cache" ? await fencesOf(cache, missed) : undefined;
          const rows = await store.getMany(missed).catch(storeFailed);
          for (const i of misses) {
            const key = keys[i]!;
            const row = rows.get(key);
            items[i] = row ? { key, value: row.value, version: row.version, source: "db" } : { key, found: false };
          }
          if (fences) {
            // read-through, as for GET /get
            const fenceOf = new Map(missed.map((key, i) => [key, fences[i]!]));
            await fillBack(cache, metrics, [...rows].map(([key, row]) => [key, row, fenceOf.get(key)!] as [string, typeof row, string]));
          }
        }
        return { items };
      },
      { parse: ({ request }) => (guard.api(request), readJson(request, c.MAX_BATCH_BYTES)), detail: docs.mget },
    );
}
