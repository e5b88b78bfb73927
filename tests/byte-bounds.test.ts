// Byte bounds count UTF-8 bytes, what the database and Redis receive, not UTF-16 code units
// (string.length): "€" is one unit and three bytes, so a bound counted in units let one
// statement or one script call carry three times its limit of such text.
import { afterAll, beforeAll, expect, test } from "bun:test";
import Redis from "ioredis";
import { connect } from "../src/cache/redis";
import { Writer } from "../src/cache/writer";
import type { EntryRow } from "../src/flusher/coalesce";
import { byBytes } from "../src/flusher/persist";
import { keys } from "../src/keys";
import { PrivateRedis } from "../src/testing/services";

const utf8 = (s: string | null) => (s === null ? 0 : Buffer.byteLength(s, "utf8"));

test("a flush's statements carry at most FLUSH_BATCH_BYTES of keys and values in UTF-8", () => {
  const max = 1024 * 1024;
  const rows: EntryRow[] = Array.from({ length: 10 }, (_, i) => ({ key: `€uro:${i}`, value: "€".repeat(100_000), version: i + 1, id: `${i}-0` }));
  rows.push({ key: "deleted", value: null, version: 1, id: "10-0" });
  const parts = byBytes(rows, max);
  expect(parts.flat()).toEqual(rows); // every row, in order
  for (const part of parts) {
    const bytes = part.reduce((n, r) => n + utf8(r.key) + utf8(r.value), 0);
    expect(bytes).toBeLessThanOrEqual(max);
  }
  expect(parts.length).toBe(4); // 300 KB a row: three rows a statement
  // A row larger than the bound alone is still a statement of its own.
  expect(byBytes([{ key: "k", value: "ü".repeat(max), version: 1, id: "1-0" }], max)).toHaveLength(1);
});

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await PrivateRedis.start();
});
afterAll(async () => {
  await redis.stop();
});

test("writes of multi-byte values arriving together are split into script calls of about 1 MiB of UTF-8", async () => {
  const client = connect(redis.url, "api", 5000);
  const writer = new Writer(client, keys("bb:", 1), { MAX_BACKLOG: 0, MAX_LAG_MS: 0, REDIS_COMMAND_TIMEOUT_MS: 5000, REDIS_WAIT_REPLICAS: 0, REDIS_WAIT_TIMEOUT_MS: 1000 });
  const admin = new Redis(redis.url);
  try {
    if (client.status !== "ready") await new Promise((resolve) => client.once("ready", resolve)); // no offline queue on the write path
    await writer.write("s", "warm-up", "x"); // loads the script
    await admin.config("RESETSTAT");
    // Four writes in one turn, 900 KB of UTF-8 each (300,000 UTF-16 units).
    const value = "€".repeat(300_000);
    await Promise.all([0, 1, 2, 3].map((i) => writer.write("s", `big:${i}`, value)));
    const stats = (await admin.info("commandstats")).split("\r\n").find((l) => l.startsWith("cmdstat_evalsha:"));
    const calls = Number(/calls=(\d+)/.exec(stats ?? "")?.[1] ?? 0);
    expect(calls).toBe(2); // two writes (1.8 MB) pass 1 MiB: a call; then the other two
  } finally {
    admin.disconnect();
    client.disconnect();
  }
});
