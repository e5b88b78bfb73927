// The key names of the release before partitions (see release.ts): one stream, no hash tags,
// so a single Redis only. Shaped as the current Keys, with one partition, so the flusher and
// the reads run over it unchanged.
import type { Keys } from "../keys";

/** The layout of the release before partitions: one stream, no hash tags (single Redis only). */
export function legacyKeys(prefix: string): Keys {
  return {
    partitions: 1,
    partition: () => 0,
    cache: (key) => `${prefix}c:${key}`,
    cacheIn: (_p, key) => `${prefix}c:${key}`,
    stream: () => `${prefix}stream`,
    dead: () => `${prefix}dead`,
    fence: () => `${prefix}fence`,
    lease: () => `${prefix}lease`,
    cursor: () => `${prefix}cursor`,
    members: `${prefix}legacy-members`,
    group: `${prefix}flushers`,
    consumer: (name) => `${prefix}consumer:${name}`,
    meta: `${prefix}meta`,
  };
}

