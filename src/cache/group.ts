// The flusher's side of the write stream: its consumer group. Reads (new entries, this
// consumer's own pending ones, entries reclaimed from idle consumers), delivery counts and
// the acknowledgement, which only the flusher calls and only after the commit.
import type { Config } from "../config";
import type { Keys } from "../keys";
import { moveToDead, type DeadLetter } from "./dead";
import type { RawEntry } from "./entry";
import { connect, redisErrorCode, type WritebackRedis } from "./redis";

type StreamReply = [stream: string, entries: RawEntry[]][] | null;

/** Entry ids per acknowledge-and-trim script call (ack.lua). */
export const ACK_CHUNK = 250;
/** Keys per values.lua call: one call never holds Redis for long. */
export const VALUES_CHUNK = 500;

/** A key's cache hash as the flusher finds it: absent, a tombstone (value null), or a value. */
export type CachedValue = { value: string | null; version: number } | undefined;

export class ConsumerGroup {
  constructor(
    private redis: WritebackRedis,
    private k: Keys,
    readonly consumer: string,
  ) {}

  /** A consumer on a connection of its own, which waits for Redis rather than failing fast. */
  static connect(config: Config, k: Keys, consumer: string): ConsumerGroup {
    return new ConsumerGroup(connect(config.REDIS_URL, "flusher", config.REDIS_COMMAND_TIMEOUT_MS), k, consumer);
  }

  /** Writes dead letters and acknowledges their entries, one step per chunk (dead.lua). */
  dead(letters: DeadLetter[]): Promise<void> {
    return moveToDead(this.redis, this.k, letters);
  }

  async close(): Promise<void> {
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  /**
   * Creates the group (and the stream) unless it exists. Looks first: XGROUP CREATE is
   * refused while Redis is over maxmemory even when the group exists, and a flusher that
   * cannot start then could never free that memory. Reading the group's info works under OOM.
   */
  async ensure(): Promise<void> {
    if (await this.exists()) return;
    try {
      // From id 0: after a loss of the group, every entry still in the stream is unpersisted.
      await this.redis.xgroup("CREATE", this.k.stream, this.k.group, "0", "MKSTREAM");
    } catch (err) {
      if (redisErrorCode(err) !== "BUSYGROUP") throw err;
    }
  }

  private async exists(): Promise<boolean> {
    if ((await this.redis.exists(this.k.stream)) === 0) return false;
    const groups = (await this.redis.xinfo("GROUPS", this.k.stream)) as string[][];
    return groups.some((g) => g[g.indexOf("name") + 1] === this.k.group);
  }

  /**
   * Up to `count` entries: new ones (">"), or this consumer's own unacknowledged ones ("0").
   * `blockMs` > 0 waits that long for new entries.
   */
  async read(from: "0" | ">", count: number, blockMs = 0): Promise<RawEntry[]> {
    const args: (string | number)[] = ["GROUP", this.k.group, this.consumer, "COUNT", count];
    if (blockMs > 0) args.push("BLOCK", blockMs);
    args.push("STREAMS", this.k.stream, from);
    const reply = (await this.redis.call("XREADGROUP", ...args)) as StreamReply;
    return reply?.[0]?.[1] ?? [];
  }

  /**
   * The current value and version of each key in its cache hash (values.lua), in order, in
   * calls of at most VALUES_CHUNK keys and about `maxBytes` of values (by `sizes`, what the
   * entries declared), so no reply is huge.
   */
  async values(keys: string[], sizes: number[], maxBytes: number): Promise<CachedValue[]> {
    const out: CachedValue[] = [];
    for (let i = 0; i < keys.length; ) {
      let j = i;
      let bytes = 0;
      while (j < keys.length && j - i < VALUES_CHUNK && (j === i || bytes + sizes[j]! <= maxBytes)) bytes += sizes[j++]!;
      const reply = await this.redis.wbValues(j - i, ...keys.slice(i, j).map((key) => this.k.cache(key)));
      for (let x = 0; x < j - i; x++) {
        const value = reply[2 * x] ?? null;
        const ver = reply[2 * x + 1];
        const version = ver == null ? NaN : Number(ver);
        out.push(Number.isSafeInteger(version) ? { value, version } : undefined);
      }
      i = j;
    }
    return out;
  }

  /** One XAUTOCLAIM step: entries idle longer than `idleMs` on any consumer become ours. */
  async claim(idleMs: number, cursor: string, count: number): Promise<{ next: string; entries: RawEntry[] }> {
    const [next, entries] = (await this.redis.xautoclaim(this.k.stream, this.k.group, this.consumer, idleMs, cursor, "COUNT", count)) as [
      string,
      RawEntry[],
    ];
    return { next, entries };
  }

  /** How often each of `ids` (all pending on this consumer, ascending) has been delivered. */
  async deliveryCounts(ids: string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (ids.length === 0) return counts;
    const rows = (await this.redis.xpending(this.k.stream, this.k.group, ids[0]!, ids[ids.length - 1]!, ids.length, this.consumer)) as [
      string,
      string,
      number,
      number,
    ][];
    for (const [id, , , delivered] of rows) counts.set(id, delivered);
    return counts;
  }

  /**
   * Acknowledges persisted entries and trims the stream below the oldest still pending; gives
   * the committed keys' cache entries `ttlMs` when they still hold the committed version
   * (ack.lua). One step per chunk.
   */
  async ack(ids: string[], committed: { key: string; version: number }[] = [], ttlMs = 0): Promise<void> {
    const clean = ttlMs > 0 ? committed : [];
    const calls = Math.max(1, Math.ceil(ids.length / ACK_CHUNK), Math.ceil(clean.length / ACK_CHUNK));
    for (let c = 0; c < calls; c++) {
      const part = clean.slice(c * ACK_CHUNK, (c + 1) * ACK_CHUNK).map((r) => ({ cache: this.k.cache(r.key), version: r.version }));
      await this.redis.wbAck(...ackArgs(this.k.stream, this.k.group, ids.slice(c * ACK_CHUNK, (c + 1) * ACK_CHUNK), part, ttlMs));
    }
  }
}

/** The arguments of one ack.lua call. */
export function ackArgs(
  stream: string,
  group: string,
  ids: string[],
  clean: { cache: string; version: number }[] = [],
  ttlMs = 0,
): (string | number)[] {
  return [1 + clean.length, stream, ...clean.map((c) => c.cache), group, ttlMs, ids.length, ...ids, ...clean.map((c) => String(c.version))];
}
