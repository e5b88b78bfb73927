// The flusher's side of the write streams: its consumer group on every partition's stream.
// Reads (new entries, this consumer's own pending ones, entries reclaimed from idle consumers),
// delivery counts and the acknowledgement, which only the flusher calls and only after the
// commit. Entry ids leave here partition-qualified (keys.ts) and come back that way.
//
// On one Redis a read covers every partition in one XREADGROUP and an acknowledgement every
// partition in one script call; on a Cluster each partition is its own call (its own slot).
import type { Config } from "../config";
import { partitionOfId, qualify, splitId, type Keys } from "../keys";
import { byPartition, moveToDead, type DeadLetter } from "./dead";
import type { RawEntry } from "./entry";
import { compareIds } from "./ids";
import { connect, isCluster, redisErrorCode, type WritebackRedis } from "./redis";

type StreamReply = [stream: string, entries: RawEntry[]][] | null;

/** Entry ids per acknowledge-and-trim script call (ack.lua). */
export const ACK_CHUNK = 250;
/** Keys per values.lua call: one call never holds Redis for long. */
export const VALUES_CHUNK = 500;
/** On a Cluster, the longest one blocking read of one partition waits while the others may fill. */
const CLUSTER_BLOCK_MS = 100;

/**
 * A consumer idle this long with nothing pending belongs to an instance that is gone (a live
 * thread reads at least every few seconds): it is removed from the streams (forget.lua).
 */
export const FORGET_IDLE_MS = 3_600_000;

/** A key's cache hash as the flusher finds it: absent, a tombstone (value null), or a value. */
export type CachedValue = { value: string | null; version: number } | undefined;

export class ConsumerGroup {
  private readonly cluster: boolean;
  /** where the next round of per-partition reads starts on a Cluster: each partition gets its turn first */
  private turn = 0;
  readonly partitions: number[];
  private readonly partitionOfStream: Map<string, number>;

  constructor(
    private redis: WritebackRedis,
    private k: Keys,
    readonly consumer: string,
  ) {
    this.cluster = isCluster(redis);
    // Every thread reads every partition: a thread that stalls holds up only its own batch.
    this.partitions = Array.from({ length: k.partitions }, (_, p) => p);
    this.partitionOfStream = new Map(this.partitions.map((p) => [k.stream(p), p]));
  }

  /** A consumer on a connection of its own, which waits for Redis rather than failing fast. */
  static connect(config: Config, k: Keys, consumer: string): ConsumerGroup {
    const redis = connect({ url: config.REDIS_URL, cluster: config.REDIS_CLUSTER }, "flusher", config.REDIS_COMMAND_TIMEOUT_MS);
    return new ConsumerGroup(redis, k, consumer);
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
    await Promise.all(this.partitions.map((p) => this.ensureOn(p)));
  }

  private async ensureOn(p: number): Promise<void> {
    const stream = this.k.stream(p);
    if (await this.exists(stream)) return;
    try {
      // From id 0: after a loss of the group, every entry still in the stream is unpersisted.
      await this.redis.xgroup("CREATE", stream, this.k.group, "0", "MKSTREAM");
    } catch (err) {
      if (redisErrorCode(err) !== "BUSYGROUP") throw err;
    }
  }

  private async exists(stream: string): Promise<boolean> {
    if ((await this.redis.exists(stream)) === 0) return false;
    const groups = (await this.redis.xinfo("GROUPS", stream)) as string[][];
    return groups.some((g) => g[g.indexOf("name") + 1] === this.k.group);
  }

  /**
   * About `count` entries of all partitions: new ones (">"), or this consumer's own
   * unacknowledged ones ("0"). `blockMs` > 0 waits that long for new entries. Fewer than
   * `count` does not mean none are left (each partition gets its share of `count`).
   */
  async read(from: "0" | ">", count: number, blockMs = 0): Promise<RawEntry[]> {
    if (!this.cluster) return this.readStreams(this.partitions, from, Math.max(1, Math.ceil(count / this.partitions.length)), blockMs);
    // One partition per call; the round starts at a different partition each time.
    const out: RawEntry[] = [];
    const n = this.partitions.length;
    const start = this.turn++ % n;
    for (let i = 0; i < n && out.length < count; i++) {
      out.push(...(await this.readStreams([this.partitions[(start + i) % n]!], from, count - out.length, 0)));
    }
    if (out.length === 0 && blockMs > 0) {
      out.push(...(await this.readStreams([this.partitions[start]!], from, count, Math.min(blockMs, CLUSTER_BLOCK_MS))));
    }
    return out;
  }

  /** One XREADGROUP of the streams of `parts`, up to `count` entries from each. */
  private async readStreams(parts: number[], from: "0" | ">", count: number, blockMs: number): Promise<RawEntry[]> {
    const args: (string | number)[] = ["GROUP", this.k.group, this.consumer, "COUNT", count];
    if (blockMs > 0) args.push("BLOCK", blockMs);
    args.push("STREAMS", ...parts.map((p) => this.k.stream(p)), ...parts.map(() => from));
    const reply = (await this.redis.call("XREADGROUP", ...args)) as StreamReply;
    if (!reply) return [];
    const out: RawEntry[] = [];
    for (const [stream, entries] of reply) {
      const p = this.partitionOfStream.get(stream)!;
      for (const e of entries) {
        e[0] = qualify(e[0], p); // in place: one entry is one array, not two
        out.push(e);
      }
    }
    return out;
  }

  /**
   * The current value and version of each key in its cache hash (values.lua), in order, in
   * calls of at most VALUES_CHUNK keys and about `maxBytes` of values (by `sizes`, what the
   * entries declared), so no reply is huge.
   */
  async values(keys: string[], sizes: number[], maxBytes: number): Promise<CachedValue[]> {
    if (!this.cluster) return this.valuesOf(keys, sizes, maxBytes);
    // On a Cluster, one call reads the hashes of one partition (one slot).
    const out: CachedValue[] = new Array(keys.length);
    const parts = Map.groupBy(keys.keys(), (i) => this.k.partition(keys[i]!));
    for (const idx of parts.values()) {
      const found = await this.valuesOf(
        idx.map((i) => keys[i]!),
        idx.map((i) => sizes[i]!),
        maxBytes,
      );
      idx.forEach((i, n) => (out[i] = found[n]));
    }
    return out;
  }

  private async valuesOf(keys: string[], sizes: number[], maxBytes: number): Promise<CachedValue[]> {
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

  /**
   * Removes `consumer` (when given) and every consumer idle longer than `idleMs` (when > 0)
   * from each partition's stream, each only if nothing is pending on it (forget.lua). Returns
   * how many were removed.
   */
  async forget(consumer: string, idleMs: number): Promise<number> {
    const removed = await Promise.all(this.partitions.map((p) => this.redis.wbForget(this.k.stream(p), this.k.group, consumer, idleMs)));
    return removed.reduce((a, b) => a + b, 0);
  }

  /** One XAUTOCLAIM step on partition `p`: entries idle longer than `idleMs` on any consumer become ours. */
  async claim(p: number, idleMs: number, cursor: string, count: number): Promise<{ next: string; entries: RawEntry[] }> {
    const [next, entries] = (await this.redis.xautoclaim(this.k.stream(p), this.k.group, this.consumer, idleMs, cursor, "COUNT", count)) as [
      string,
      RawEntry[],
    ];
    return { next, entries: entries.map(([id, fields]) => [qualify(id, p), fields]) };
  }

  /** How often each of `ids` (qualified, all pending on this consumer) has been delivered. */
  async deliveryCounts(ids: string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const [p, part] of byPartition(ids, (id) => id)) {
      const local = part.map((x) => x.id).sort(compareIds);
      const rows = (await this.redis.xpending(this.k.stream(p), this.k.group, local[0]!, local[local.length - 1]!, local.length, this.consumer)) as [
        string,
        string,
        number,
        number,
      ][];
      for (const [id, , , delivered] of rows) counts.set(qualify(id, p), delivered);
    }
    return counts;
  }

  /**
   * Acknowledges persisted entries and trims the stream below the oldest still pending; gives
   * the committed keys' cache entries `ttlMs` when they still hold the committed version
   * (ack.lua). One step per chunk.
   */
  async ack(ids: string[], committed: { key: string; version: number; id?: string }[] = [], ttlMs = 0): Promise<void> {
    const clean = (ttlMs > 0 ? committed : []).map((r) => {
      // The entry's id names the key's partition: no need to hash the key again.
      const p = r.id !== undefined ? partitionOfId(r.id) : this.k.partition(r.key);
      return { p, cache: this.k.cacheIn(p, r.key), version: r.version };
    });
    // One call covers every partition on one Redis; on a Cluster, each partition has its own.
    const callOf = (x: { p: number }) => (this.cluster ? x.p : 0);
    const idsOf = Map.groupBy(ids.map(splitId), callOf);
    const cleanOf = Map.groupBy(clean, callOf);
    for (const c of new Set([...idsOf.keys(), ...cleanOf.keys()])) {
      const callIds = idsOf.get(c) ?? [];
      const callClean = cleanOf.get(c) ?? [];
      const n = Math.max(1, Math.ceil(callIds.length / ACK_CHUNK), Math.ceil(callClean.length / ACK_CHUNK));
      for (let i = 0; i < n; i++) {
        const chunk = callIds.slice(i * ACK_CHUNK, (i + 1) * ACK_CHUNK);
        const part = callClean.slice(i * ACK_CHUNK, (i + 1) * ACK_CHUNK);
        await this.redis.wbAck(...ackArgs(this.k, this.k.group, chunk, part, ttlMs));
      }
    }
  }
}

/** The arguments of one ack.lua call: the streams of `ids`' partitions, each with its ids. */
export function ackArgs(
  k: Keys,
  group: string,
  ids: { p: number; id: string }[],
  clean: { p: number; cache: string; version: number }[] = [],
  ttlMs = 0,
): (string | number)[] {
  const perStream = Map.groupBy(ids, (x) => x.p);
  const streams = [...perStream.keys()];
  // The fences of the partitions whose entries become clean (only when they get a TTL).
  const fences = ttlMs > 0 ? [...new Set(clean.map((c) => c.p))] : [];
  return [
    streams.length + fences.length + clean.length,
    ...streams.map((p) => k.stream(p)),
    ...fences.map((p) => k.fence(p)),
    ...clean.map((c) => c.cache),
    group,
    ttlMs,
    streams.length,
    fences.length,
    ...streams.map((p) => perStream.get(p)!.length),
    ...streams.flatMap((p) => perStream.get(p)!.map((x) => x.id)),
    ...clean.map((c) => String(c.version)),
  ];
}
