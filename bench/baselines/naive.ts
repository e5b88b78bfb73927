// B-naive: the write path writeback replaces. Three separate round trips per write (INCR
// for the version, HSET for the cache, XADD for the stream), plain ioredis, behind the same
// Elysia route and checks as POST /set. Not atomic: a crash between the calls leaves the
// cache and the stream disagreeing, which is one reason it was replaced.
import { Elysia } from "elysia";
import Redis from "ioredis";
import { loadConfig } from "../../src/config";
import { readJson } from "../../src/http/body";
import { checkWrite, setBodyLimit } from "../../src/http/validate";

const c = loadConfig();
const bodyLimit = setBodyLimit(c);
const redis = new Redis(c.REDIS_URL);
const prefix = c.KEY_PREFIX;

new Elysia()
  .post(
    "/set",
    async ({ body }) => {
      const { key, value } = checkWrite(body, c);
      const version = await redis.incr(`${prefix}ver:${key}`);
      await redis.hset(`${prefix}c:${key}`, "v", value, "ver", version);
      await redis.xadd(`${prefix}stream`, "*", "k", key, "v", value, "ver", String(version));
      return { status: "cached", key, version };
    },
    { parse: ({ request }) => readJson(request, bodyLimit) },
  )
  .get("/health", () => ({ status: "ok" }))
  .listen({ port: c.PORT, hostname: c.HOST });
