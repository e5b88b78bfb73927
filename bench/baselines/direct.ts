// B-direct: what users would run instead of writeback. The same Elysia route, body reader and
// TypeBox checks as POST /set, but each write goes straight into Postgres (one
// INSERT ... ON CONFLICT DO UPDATE through postgres.js, a pool of 16, synchronous_commit on as
// for writeback's store) before the answer: write-through, no Redis.
import postgres from "postgres";
import { Elysia } from "elysia";
import { loadConfig } from "../../src/config";
import { readJson } from "../../src/http/body";
import { checkWrite, setBodyLimit } from "../../src/http/validate";

const c = loadConfig();
const bodyLimit = setBodyLimit(c);
const sql = postgres(c.DATABASE_URL, { max: 16, onnotice: () => {} });
await sql.unsafe(`CREATE TABLE IF NOT EXISTS direct_kv (key text PRIMARY KEY, value text, version bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()) WITH (fillfactor = 80)`);
let version = Date.now() * 1000;

new Elysia()
  .post(
    "/set",
    async ({ body }) => {
      const { key, value } = checkWrite(body, c);
      const v = ++version;
      await sql`INSERT INTO direct_kv (key, value, version) VALUES (${key}, ${value}, ${v})
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version, updated_at = now()
        WHERE excluded.version > direct_kv.version`;
      return { status: "cached", key, version: v };
    },
    { parse: ({ request }) => readJson(request, bodyLimit) },
  )
  .get("/health", () => ({ status: "ok" }))
  .listen({ port: c.PORT, hostname: c.HOST });
