// The flusher's side of the write streams: each partition's stream is a log consumed by one
// owner at a time, from a committed cursor (the Kafka consumer-group model, with Redis Streams
// as the log). A flusher thread claims a partition's lease (claim.lua), reads its stream from
// the cursor with plain XREAD (no per-entry bookkeeping in Redis: nothing is written or
// propagated to the AOF per entry read), persists, and then commits (commit.lua): under its
// lease's token, the dead letters, the cursor moved to the last entry it read and the stream
// trimmed to there, in one step. A consumer that dies leaves its lease to lapse; the next owner
// reads from the cursor, so nothing acknowledged is skipped and nothing persisted twice matters
// (the version guard). A stalled owner that wakes up holds an old token: its commit changes
// nothing. Entry ids leave here partition-qualified (keys.ts) and come back that way.
//
// On one Redis a read covers every owned partition in one XREAD and a commit every partition
// in one script call; on a Cluster each partition is its own call (its own slot).
import type { Config } from "../config";
import { qualify, splitId, type Keys } from "../keys";
import type { DeadLetter } from "./dead";
import type { RawEntry } from "./entry";
import { connect, isCluster, type WritebackRedis } from "./redis";
import { CLEAN_CHUNK, VALUES_CHUNK } from "../tuning";

type StreamReply = [stream: string, entries: RawEntry[]][] | null;

/** On a Cluster, the longest one blocking read of one partition waits while the others may fill. */
const CLUSTER_BLOCK_MS = 100;

/** A key's cache hash as the flusher finds it: absent, a tombstone (value null), or a value. */
export type CachedValue = { value: string | null; version: number } | undefined;

/** A partition this thread just claimed (claim.lua). */
export interface Claim {
  p: number;
  /** the lease's token: what every commit must show */
  token: string;
  /** the last id committed: reading starts after it */
  cursor: string;
  /** claims since the cursor last moved of a partition whose owner never released it */
  tries: number;
  /** the entry an earlier owner was flushing alone when it last crashed ("" when none) */
  suspect: string;
  /** the stream's last id at the claim: no entry after it was read by an earlier owner */
  reach: string;
}

/** What one batch commits of one partition (commit.lua). */
export interface PartitionCommit {
  p: number;
  token: string;
  /** the last id the batch read from this partition: the cursor moves there (undefined: it stays) */
  upTo?: string;
  /** keep the tries (while flushing one entry at a time); otherwise they start over */
  keepTries?: boolean;
  dead: DeadLetter[];
}

/** Who claims: a consumer (`<CONSUMER_NAME>-<thread>`), its CONSUMER_NAME, and the id of its process's life. */
export interface Claimant {
  consumer: string;
  name: string;
  process: string;
}

/** A lease this thread holds. */
export interface Lease {
  p: number;
  token: string;
}

/** What the flusher needs of the write streams; Redis implements it (RedisLog), the unit tests a fake. */
export interface PartitionLog {
  readonly partitions: number;
  /** Renews `consumer` among the live consumers (ttlMs 0: leaves); returns the live ones, sorted. */
  members(consumer: string, ttlMs: number): Promise<string[]>;
  /** Takes partition `p` for `who`, unless a consumer other than an earlier life of it holds it (undefined). */
  claim(p: number, who: Claimant, ttlMs: number): Promise<Claim | undefined>;
  /** Renews the leases; returns the partitions whose lease is no longer this thread's. */
  renew(leases: Lease[], ttlMs: number): Promise<number[]>;
  /** Gives the leases back (those still held). */
  release(leases: Lease[]): Promise<void>;
  /** Ends the lease of `p` if an earlier life of `who` holds it, as if it lapsed (lapse.lua); whether it did. */
  lapse(p: number, who: Claimant): Promise<boolean>;
  /** About `count` entries after each partition's position; `blockMs` > 0 waits that long for some. */
  read(positions: Map<number, string>, count: number, blockMs: number): Promise<RawEntry[]>;
  /** The current value and version of each key in its cache hash (values.lua), within about `maxBytes` per call. */
  values(keys: string[], sizes: number[], maxBytes: number): Promise<CachedValue[]>;
  /** Names the entry about to be flushed alone (suspect.lua); false when the lease is gone. */
  suspect(lease: Lease, id: string): Promise<boolean>;
  /** Commits each partition (commit.lua); returns the partitions whose lease is no longer this thread's. */
  commit(parts: PartitionCommit[]): Promise<number[]>;
  /** Gives committed keys' cache entries `ttlMs` (clean.lua). */
  clean(rows: { key: string; version: number; id: string }[], ttlMs: number): Promise<void>;
  close(): Promise<void>;
}

export class RedisLog implements PartitionLog {
  private readonly cluster: boolean;
  readonly partitions: number;
  private readonly partitionOfStream: Map<string, number>;
  /** where the next round of per-partition reads starts on a Cluster: each partition gets its turn first */
  private turn = 0;

  constructor(
    private redis: WritebackRedis,
    private k: Keys,
    /** idle time after which a consumer of the releases before leases counts as gone (claim.lua) */
    private oldGroupIdleMs: number,
  ) {
    this.cluster = isCluster(redis);
    this.partitions = k.partitions;
    this.partitionOfStream = new Map(Array.from({ length: k.partitions }, (_, p) => [k.stream(p), p]));
  }

  /** A log on a connection of its own, which waits for Redis rather than failing fast. */
  static connect(config: Config, k: Keys): RedisLog {
    const redis = connect({ url: config.REDIS_URL, cluster: config.REDIS_CLUSTER }, "flusher", config.REDIS_COMMAND_TIMEOUT_MS);
    return new RedisLog(redis, k, config.FLUSH_CLAIM_IDLE_MS);
  }

  members(consumer: string, ttlMs: number): Promise<string[]> {
    return this.redis.wbMembers(this.k.members, consumer, ttlMs);
  }

  async claim(p: number, who: Claimant, ttlMs: number): Promise<Claim | undefined> {
    const k = this.k;
    const reply = await this.redis.wbClaim(k.lease(p), k.cursor(p), k.stream(p), who.consumer, who.name, who.process, ttlMs, k.group, this.oldGroupIdleMs);
    if (!reply) return undefined;
    const [token, cursor, tries, suspect, reach] = reply;
    return { p, token: String(token), cursor: String(cursor), tries: Number(tries), suspect: String(suspect), reach: String(reach) };
  }

  async renew(leases: Lease[], ttlMs: number): Promise<number[]> {
    const lost: number[] = [];
    for (const call of this.calls(leases)) {
      const held = await this.redis.wbRenew(call.length, ...call.map((l) => this.k.lease(l.p)), ttlMs, ...call.map((l) => l.token));
      call.forEach((l, i) => held[i] === 0 && lost.push(l.p));
    }
    return lost;
  }

  async release(leases: Lease[]): Promise<void> {
    for (const call of this.calls(leases)) {
      await this.redis.wbRelease(2 * call.length, ...call.flatMap((l) => [this.k.lease(l.p), this.k.cursor(l.p)]), ...call.map((l) => l.token));
    }
  }

  async lapse(p: number, who: Claimant): Promise<boolean> {
    return (await this.redis.wbLapse(this.k.lease(p), who.consumer, who.name, who.process)) === 1;
  }

  async read(positions: Map<number, string>, count: number, blockMs: number): Promise<RawEntry[]> {
    const parts = [...positions.keys()];
    if (parts.length === 0) return [];
    if (!this.cluster) return this.readStreams(parts, positions, Math.max(1, Math.ceil(count / parts.length)), blockMs);
    // One partition per call; the round starts at a different partition each time.
    const out: RawEntry[] = [];
    const n = parts.length;
    const start = this.turn++ % n;
    for (let i = 0; i < n && out.length < count; i++) {
      out.push(...(await this.readStreams([parts[(start + i) % n]!], positions, count - out.length, 0)));
    }
    if (out.length === 0 && blockMs > 0) {
      out.push(...(await this.readStreams([parts[start]!], positions, count, Math.min(blockMs, CLUSTER_BLOCK_MS))));
    }
    return out;
  }

  /** One XREAD of the streams of `parts`, up to `count` entries of each after its position. */
  private async readStreams(parts: number[], positions: Map<number, string>, count: number, blockMs: number): Promise<RawEntry[]> {
    const args: (string | number)[] = ["COUNT", count];
    if (blockMs > 0) args.push("BLOCK", blockMs);
    args.push("STREAMS", ...parts.map((p) => this.k.stream(p)), ...parts.map((p) => positions.get(p)!));
    const reply = (await this.redis.call("XREAD", ...args)) as StreamReply;
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

  async suspect(lease: Lease, id: string): Promise<boolean> {
    return (await this.redis.wbSuspect(this.k.lease(lease.p), this.k.cursor(lease.p), lease.token, splitId(id).id)) === 1;
  }

  async commit(parts: PartitionCommit[]): Promise<number[]> {
    const lost: number[] = [];
    for (const call of this.calls(parts)) {
      const keys = call.flatMap(({ p }) => [this.k.lease(p), this.k.cursor(p), this.k.stream(p), this.k.dead(p)]);
      const args: string[] = [];
      for (const c of call) {
        args.push(c.token, c.upTo === undefined ? "" : splitId(c.upTo).id, c.keepTries ? "1" : "0", String(c.dead.length));
        for (const l of c.dead) {
          const fields = [...(l.fields ?? []), "source_id", l.id, "reason", l.reason, "error", l.error ?? ""];
          args.push(String(fields.length), ...fields);
        }
      }
      const done = await this.redis.wbCommit(keys.length, ...keys, ...args);
      call.forEach((c, i) => done[i] === 0 && lost.push(c.p));
    }
    return lost;
  }

  async clean(rows: { key: string; version: number; id: string }[], ttlMs: number): Promise<void> {
    if (ttlMs <= 0 || rows.length === 0) return;
    // The entry's id names the key's partition: no need to hash the key again.
    const withP = rows.map((r) => ({ ...r, p: splitId(r.id).p }));
    for (const call of this.calls(withP)) {
      for (let i = 0; i < call.length; i += CLEAN_CHUNK) {
        const chunk = call.slice(i, i + CLEAN_CHUNK);
        const parts = [...new Set(chunk.map((r) => r.p))];
        const index = new Map(parts.map((p, j) => [p, j + 1]));
        await this.redis.wbClean(
          2 * parts.length + chunk.length,
          ...parts.map((p) => this.k.stream(p)),
          ...parts.map((p) => this.k.fence(p)),
          ...chunk.map((r) => this.k.cacheIn(r.p, r.key)),
          ttlMs,
          parts.length,
          ...chunk.flatMap((r) => [String(r.version), index.get(r.p)!]),
        );
      }
    }
  }

  /** `items` split into script calls: one for all on one Redis, one per partition on a Cluster (its slot). */
  private calls<T extends { p: number }>(items: T[]): T[][] {
    if (items.length === 0) return [];
    return this.cluster ? [...Map.groupBy(items, (x) => x.p).values()] : [items];
  }

  async close(): Promise<void> {
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}
