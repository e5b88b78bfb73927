// A redrive whose letters span partitions is one script call per partition (dead.ts): every
// partition is checked before anything moves, but the backlog can still grow between the check
// and a later partition's move, and Redis can fail between two calls. Then the answer names
// what moved and what did not (issue 23, item 7). The faults are made with real Redis: the
// hook around the script call fills a partition's stream, or cuts the connection, just before
// that partition's move.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { PartialRedriveError, redrive } from "../src/cache/dead";
import { BackpressureError } from "../src/cache/errors";
import { connect, waitReady, type WritebackRedis } from "../src/cache/redis";
import { keys, type Keys } from "../src/keys";
import { SHARED_REDIS_URL, dropPrefix, testPrefix } from "../src/testing/services";

let prefix: string;
let redis: WritebackRedis;
let k: Keys;
beforeEach(async () => {
  prefix = testPrefix();
  redis = connect(SHARED_REDIS_URL, "api", 2000);
  await waitReady(redis, 5000);
  k = keys(prefix, 4);
});
afterEach(async () => {
  redis.disconnect();
  await dropPrefix(prefix);
});

const keyIn = (n: number, stem: string) => {
  for (let i = 0; ; i++) if (k.partition(`${stem}:${i}`) === n) return `${stem}:${i}`;
};
const letter = async (key: string) => {
  const p = k.partition(key);
  const id = (await redis.xadd(k.dead(p), "*", "k", key, "v", "x", "ver", String(Date.now() * 1000), "reason", "test")) as string;
  return `${id}@${p}`;
};
const isDead = async (qid: string) => {
  const [id, p] = qid.split("@") as [string, string];
  return (await redis.xrange(k.dead(Number(p)), id, id)).length === 1;
};

/** `redis`, but running `before` once, just before the first 'move' call of partition `p`. */
function beforeMoveOf(p: number, before: () => Promise<void>): WritebackRedis {
  let done = false;
  const hooked: WritebackRedis["wbRedrive"] = async (dead, stream, maxBacklog, minVersion, mode, earlier, ...ids) => {
    if (!done && mode === "move" && stream === k.stream(p)) {
      done = true;
      await before();
    }
    return redis.wbRedrive(dead, stream, maxBacklog, minVersion, mode, earlier, ...ids);
  };
  return new Proxy(redis, { get: (target, prop) => (prop === "wbRedrive" ? hooked : Reflect.get(target, prop)) });
}

describe("a redrive that can only partly go through names what moved", () => {
  test("writes fill a later partition between the check and its move: 503 naming the moved id and the one left", async () => {
    const first = await letter(keyIn(0, "race:a"));
    const second = await letter(keyIn(2, "race:b"));
    // Share of 2 per partition; the check sees room, then two writes arrive in partition 2.
    const hooked = beforeMoveOf(2, async () => {
      for (let i = 0; i < 2; i++) await redis.xadd(k.stream(2), "*", "k", keyIn(2, `race:w${i}`), "v", "w", "ver", "1");
    });
    const err = await redrive(hooked, k, [first, second], 2, 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PartialRedriveError);
    const partial = err as PartialRedriveError;
    expect(partial.cause).toBeInstanceOf(BackpressureError);
    expect(partial.moved).toEqual([first]);
    expect(partial.notMoved).toEqual([second]);
    expect(partial.message).toContain(`re-drove 1 dead letter (${first})`);
    expect(partial.message).toContain(`not re-driven: ${second}`);
    expect(partial.message).toContain("partition 2");
    expect(await isDead(first)).toBe(false);
    expect(await isDead(second)).toBe(true);
    expect(await redis.xlen(k.stream(0))).toBe(1);

    // The retry of the same request moves what is still dead, once there is room.
    await redis.del(k.stream(2));
    expect(await redrive(redis, k, [first, second], 2, 0)).toEqual({ moved: [second], expired: [] });
  });

  test("Redis fails between two partitions' moves: the moved id, and the ones whose fate is not known", async () => {
    const first = await letter(keyIn(1, "cut:a"));
    const second = await letter(keyIn(3, "cut:b"));
    const hooked = beforeMoveOf(3, async () => redis.disconnect());
    const err = await redrive(hooked, k, [first, second], 0, 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PartialRedriveError);
    const partial = err as PartialRedriveError;
    expect(partial.moved).toEqual([first]);
    expect(partial.unknown).toEqual([second]);
    expect(partial.message).toContain(`not known whether these moved: ${second}`);
  });

  test("many ids are named up to 20, then counted", async () => {
    const ids = await Promise.all(Array.from({ length: 25 }, (_, i) => letter(keyIn(0, `many:${i}`))));
    const last = await letter(keyIn(2, "many:last"));
    const hooked = beforeMoveOf(2, async () => {
      for (let i = 0; i < 25; i++) await redis.xadd(k.stream(2), "*", "k", "w", "v", "w", "ver", "1");
    });
    const err = (await redrive(hooked, k, [...ids, last], 25, 0).catch((e: unknown) => e)) as PartialRedriveError;
    expect(err).toBeInstanceOf(PartialRedriveError);
    expect(err.moved.length).toBe(25);
    expect(err.message).toContain("and 5 more");
  });
});
