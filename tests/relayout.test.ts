// Changing STREAM_PARTITIONS (docs/scaling.md) must never strand an acknowledged write: writes
// left in the stream of a partition the new count does not have, or left in a stream whose keys
// belong to other partitions under the new count, refuse the start (exit 2, naming
// STREAM_PARTITIONS) instead of being silently never read (issue 23, item 8). The data is
// written here as an instance with the old count leaves it when it is killed before draining.
import { afterEach, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { checkLayout, LayoutMismatchError } from "../src/cache/layout";
import { connect, waitReady, type WritebackRedis } from "../src/cache/redis";
import { keys } from "../src/keys";
import { startService } from "../src/testing/process";
import { SHARED_REDIS_URL, createDatabase, dropPrefix, testPrefix } from "../src/testing/services";

setDefaultTimeout(60_000);

let prefix: string;
let redis: WritebackRedis;
beforeEach(async () => {
  prefix = testPrefix();
  redis = connect(SHARED_REDIS_URL, "api", 2000);
  await waitReady(redis, 5000);
});
afterEach(async () => {
  redis.disconnect();
  await dropPrefix(prefix);
});

/** A key whose partition is `n` among `count` and, when given, `m` among `other`. */
function keyIn(count: number, n: number, other?: { count: number; not: number }): string {
  const k = keys("", count);
  const o = other && keys("", other.count);
  for (let i = 0; ; i++) {
    const key = `relayout:${i}`;
    if (k.partition(key) === n && (!o || o.partition(key) !== other!.not)) return key;
  }
}

/** An unpersisted write as an instance with `count` partitions appends it. */
async function unpersisted(count: number, key: string): Promise<void> {
  const k = keys(prefix, count);
  await redis.xadd(k.stream(k.partition(key)), "*", "k", key, "v", "acknowledged", "ver", String(Date.now() * 1000));
}

const refusal = (count: number) => checkLayout(redis, keys(prefix, count), prefix).then(() => undefined, (e: unknown) => e);

describe("a changed STREAM_PARTITIONS with writes not yet persisted", () => {
  test("writes in partitions above the new count refuse the start, naming them; the record stays unset, and the old count starts", async () => {
    await unpersisted(16, keyIn(16, 12));
    await unpersisted(16, keyIn(16, 13));
    await unpersisted(16, keyIn(16, 2));
    const err = await refusal(4);
    expect(err).toBeInstanceOf(LayoutMismatchError);
    expect((err as Error).message).toContain("STREAM_PARTITIONS");
    expect((err as Error).message).toContain("partitions 12, 13");
    expect((err as Error).message).toContain("2 writes not yet persisted");
    expect(await redis.hget(keys(prefix, 4).meta, "partitions")).toBeNull();
    expect(await refusal(16)).toBeUndefined(); // drain with the count they were written with
    expect(await redis.hget(keys(prefix, 16).meta, "partitions")).toBe("16");
  });

  test("writes in a partition below the new count whose keys now belong elsewhere refuse the start", async () => {
    // Partition 3 of 16, but not of 5: under 5 its key is read from another partition's hash.
    await unpersisted(16, keyIn(16, 3, { count: 5, not: 3 }));
    const err = await refusal(5);
    expect(err).toBeInstanceOf(LayoutMismatchError);
    expect((err as Error).message).toContain("partition 3");
    expect(await refusal(16)).toBeUndefined();
  });

  test("a count that divides the old one keeps every key in its partition: writes below it do not refuse", async () => {
    // crc32 mod 4 of a key of partition 2 of 16 is 2: the same stream, the same hash tag.
    await unpersisted(16, keyIn(16, 2));
    expect(await refusal(4)).toBeUndefined();
  });

  test("with the count recorded, writes appearing above it (an instance with the old count still running) refuse the next start", async () => {
    expect(await refusal(4)).toBeUndefined();
    await unpersisted(16, keyIn(16, 9));
    const err = await refusal(4);
    expect(err).toBeInstanceOf(LayoutMismatchError);
    expect((err as Error).message).toContain("partition 9");
  });

  test("two instances starting at once with the lowered count move each dead letter of the partitions above it once", async () => {
    const old = keys(prefix, 16);
    const letters = Array.from({ length: 300 }, (_, i) => `relayout:dead:${i}`).filter((key) => old.partition(key) >= 4);
    for (const key of letters) await redis.xadd(old.dead(old.partition(key)), "*", "k", key, "v", "x", "ver", "1", "reason", "test");
    const other = connect(SHARED_REDIS_URL, "api", 2000);
    try {
      await waitReady(other, 5000);
      const k = keys(prefix, 4);
      await Promise.all([checkLayout(redis, k, prefix), checkLayout(other, k, prefix)]);
      const found: string[] = [];
      for (let p = 0; p < 16; p++) {
        for (const [, fields] of (await redis.xrange(old.dead(p), "-", "+")) as [string, string[]][]) {
          expect(p).toBeLessThan(4);
          found.push(fields[1]!);
        }
      }
      expect(found.sort()).toEqual(letters.sort());
    } finally {
      other.disconnect();
    }
  });

  test("the binary exits 2 naming STREAM_PARTITIONS", async () => {
    await unpersisted(16, keyIn(16, 14));
    const db = await createDatabase();
    try {
      const err = await startService({ REDIS_URL: SHARED_REDIS_URL, DATABASE_URL: db.url, KEY_PREFIX: prefix, STREAM_PARTITIONS: "4" }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect(String(err)).toContain("exit 2");
      expect(String(err)).toContain("STREAM_PARTITIONS");
    } finally {
      await db.drop();
    }
  });
});
