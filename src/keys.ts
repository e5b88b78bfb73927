// Every Redis key and stream name writeback uses, in one place.
// All share the configured prefix, so deployments (and test files) never see each other's data.

export interface Keys {
  /** Hash holding the cached `v` (value) and `ver` (version) of one user key. */
  cache(key: string): string;
  /** Stream of writes not yet persisted: fields `k`, `v`, `ver`. */
  readonly stream: string;
  /** Consumer group of the flusher threads on `stream`. */
  readonly group: string;
  /** Stream of entries the flusher gave up on, with the reason. */
  readonly dead: string;
  /** Heartbeat of a live instance consuming as CONSUMER_NAME `name` (lease.lua). */
  consumer(name: string): string;
}

export function keys(prefix: string): Keys {
  return {
    cache: (key) => `${prefix}c:${key}`,
    stream: `${prefix}stream`,
    group: `${prefix}flushers`,
    dead: `${prefix}dead`,
    consumer: (name) => `${prefix}consumer:${name}`,
  };
}
