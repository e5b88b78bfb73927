// The write stream's entry format, in one place on the TypeScript side. A write of a value
// shorter than INLINE_MAX (512) bytes is {k: key, v: value, ver: version}. A write of a larger value is
// {k, ver, n: the value's length in bytes}: its value is not repeated in the stream, it is in
// the key's cache hash, which keeps it (no TTL, never evicted) until a version at least as new
// is persisted, and the flusher reads it from there (values.lua). A delete is {k, ver, del: "1"}.
// Re-driven dead letters are appended as sets that carry their value. An entry's id starts
// with the Redis time in ms at which the write was acknowledged. The scripts that append
// entries (set.lua, incr.lua, redrive.lua) write these same fields.

/**
 * Values shorter than this (bytes, as Lua's # counts them) travel in the stream entry too;
 * longer ones only in the key's cache hash (set.lua takes it from here). For a large value
 * that halves what Redis holds (and its AOF writes) per unpersisted write; for a small one,
 * reading it back from the hash costs the flusher and Redis more than carrying it (the drain
 * of 32-byte values fell by 30 % without it: bench/README.md).
 */
export const INLINE_MAX = 512;

/** Raw field/value list of a stream entry as Redis returns it. */
export type EntryFields = string[];
/** One stream entry as XREAD returns it (its id partition-qualified once it leaves src/cache/); fields are null for a deleted entry. */
export type RawEntry = [id: string, fields: EntryFields | null];

export interface Entry {
  key?: string;
  value?: string;
  /** undefined unless the field is a safe non-negative integer */
  version?: number;
  /** a delete: it carries no value */
  deleted: boolean;
  /** a set whose value is in the key's cache hash (at this version or newer), not in the entry */
  inCache: boolean;
  /** the value's length in bytes, as the entry declares it (0 when it does not) */
  size: number;
}

export function entryFields(fields: EntryFields): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) m.set(fields[i]!, fields[i + 1]!);
  return m;
}

/** Decodes an entry; fields that are missing or malformed come back undefined. */
export function readEntry(fields: EntryFields): Entry {
  let key: string | undefined, value: string | undefined, ver: string | undefined;
  let deleted = false;
  let size = 0;
  let sized = false;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i];
    if (name === "k") key = fields[i + 1];
    else if (name === "v") value = fields[i + 1];
    else if (name === "ver") ver = fields[i + 1];
    else if (name === "del") deleted = fields[i + 1] === "1";
    else if (name === "n") {
      sized = true;
      size = Number(fields[i + 1]) || 0;
    }
  }
  const version = ver !== undefined && /^\d{1,16}$/.test(ver) ? Number(ver) : NaN;
  const inCache = !deleted && value === undefined && sized;
  return { key, value, version: Number.isSafeInteger(version) ? version : undefined, deleted, inCache, size };
}

/** The fields of a set that carries its value, or of a delete (value null): what dead letters hold. */
export function encodeEntry(key: string, value: string | null, version: number): EntryFields {
  return value === null ? ["k", key, "ver", String(version), "del", "1"] : ["k", key, "v", value, "ver", String(version)];
}

/** The Redis time (ms) at which the entry with this id was appended: when its write was acknowledged. */
export function idTimeMs(id: string): number {
  return parseInt(id, 10); // the digits before the "-"
}

/**
 * Roughly what an entry weighs once its value is read: its fields' characters, plus the value
 * it declares (`n`) when the value is in the cache hash.
 */
export function entryBytes(fields: EntryFields | null): number {
  let n = 0;
  if (!fields) return n;
  for (let i = 0; i < fields.length; i++) {
    n += fields[i]!.length;
    if (fields[i] === "n" && i % 2 === 0) n += Number(fields[i + 1]) || 0;
  }
  return n;
}
