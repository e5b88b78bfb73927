// Every Redis key and stream name writeback uses, in one place.
// All share the configured prefix, so deployments (and test files) never see each other's data.
//
// Writes are spread over STREAM_PARTITIONS streams. A key belongs to partition
// crc32(UTF-8 bytes of the key) mod P (CRC-32 as zlib computes it), and everything a script
// touches for it (its cache hash, its partition's stream and dead letters) carries the hash tag
// `{p<n>}`, so in a Redis Cluster they are in one slot and every script call stays in one slot.
//
// The layout of the release before partitions is not here: src/legacy/ owns it, and goes away
// as a whole (src/legacy/release.ts says when).

export interface Keys {
  /** number of partitions (write streams) */
  readonly partitions: number;
  /** the partition a user key belongs to */
  partition(key: string): number;
  /** Hash holding the cached `v` (value) and `ver` (version) of one user key, in its partition's slot. */
  cache(key: string): string;
  /** The same, for a key whose partition `p` is known already (saves hashing the key again). */
  cacheIn(p: number, key: string): string;
  /** Stream of writes of partition `p` not yet persisted (entry.ts). */
  stream(p: number): string;
  /** Stream of entries of partition `p` the flusher gave up on, with the reason. */
  dead(p: number): string;
  /**
   * Counter of partition `p` that changes whenever one of its cache entries is made clean
   * (given a TTL, clean.lua), i.e. may vanish. A value read from the database enters the cache,
   * or becomes the base of an increment, only if it did not change since before that read
   * (fence.lua, fill.lua, incr.lua). No TTL: it outlives the entries it guards.
   */
  fence(p: number): string;
  /**
   * The lease of partition `p`: who consumes it now (`<epoch>:<nonce>:<consumer>`), with a TTL
   * its owner keeps renewing. One owner per partition at a time (partitions.ts).
   */
  lease(p: number): string;
  /**
   * Hash of partition `p`'s consumption: `id`, the last stream id committed to the database
   * (everything up to it is persisted and trimmed); `epoch`, bumped at each claim (fencing a
   * stalled owner); `held`, whether an owner holds it without having released it; `tries`,
   * claims since the cursor last moved of a partition that was not released (crash loops);
   * `suspect`, the entry being tried alone when looking for one that crashes its owner.
   */
  cursor(p: number): string;
  /** Sorted set of the live consumers (flusher threads) of this deployment, scored by when each lapses. */
  readonly members: string;
  /** The consumer group of the releases before partition leases: removed from a stream by the first claim that finds it idle (claim.lua). */
  readonly group: string;
  /** Heartbeat of a live instance consuming as CONSUMER_NAME `name` (lease.lua). */
  consumer(name: string): string;
  /** Hash recording this deployment's layout (`partitions`), checked on every start. */
  readonly meta: string;
}

/** The partition of `key` among `partitions`: crc32 of its UTF-8 bytes, modulo the count. */
export function partitionOf(key: string, partitions: number): number {
  return partitions === 1 ? 0 : Bun.hash.crc32(key) % partitions;
}

export function keys(prefix: string, partitions = 1): Keys {
  const tag = (p: number) => `${prefix}{p${p}}:`;
  return {
    partitions,
    partition: (key) => partitionOf(key, partitions),
    cache: (key) => `${tag(partitionOf(key, partitions))}c:${key}`,
    cacheIn: (p, key) => `${tag(p)}c:${key}`,
    stream: (p) => `${tag(p)}stream`,
    dead: (p) => `${tag(p)}dead`,
    fence: (p) => `${tag(p)}fence`,
    lease: (p) => `${tag(p)}lease`,
    cursor: (p) => `${tag(p)}cursor`,
    members: `${prefix}members`,
    group: `${prefix}flushers`,
    consumer: (name) => `${prefix}consumer:${name}`,
    meta: `${prefix}meta`,
  };
}

/** The keys of a running deployment. */
export function configKeys(c: { KEY_PREFIX: string; STREAM_PARTITIONS: number }): Keys {
  return keys(c.KEY_PREFIX, c.STREAM_PARTITIONS);
}

/**
 * A partition-qualified stream entry id, `<ms>-<seq>@<p>`: entry ids of different partitions'
 * streams can be equal, so every id leaving src/cache/ names its partition. It still starts
 * with the entry's time in ms (idTimeMs).
 */
export function qualify(id: string, p: number): string {
  return `${id}@${p}`;
}

/** The stream id and partition of a qualified id this process made (no validation, no regex: the flusher's hot path). */
export function splitId(qid: string): { id: string; p: number } {
  const at = qid.lastIndexOf("@");
  return { id: qid.slice(0, at), p: Number(qid.slice(at + 1)) };
}

/** The partition a qualified id names (no validation: for ids this process qualified). */
export function partitionOfId(qid: string): number {
  return splitId(qid).p;
}

/** The stream id and partition of a qualified id; undefined when malformed. */
export function unqualify(qid: string): { id: string; p: number } | undefined {
  const m = /^(\d+-\d+)@(\d+)$/.exec(qid);
  return m ? { id: m[1]!, p: Number(m[2]) } : undefined;
}
