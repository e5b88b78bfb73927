// The write stream's entry format, in one place on the TypeScript side. A set is
// {k: key, v: value, ver: version}; a delete is {k, ver, del: "1"} (no value). An entry's id
// starts with the Redis time in ms at which the write was acknowledged. The scripts that
// append entries (set.lua, redrive.lua) write these same fields.

/** Raw field/value list of a stream entry as Redis returns it. */
export type EntryFields = string[];
/** One stream entry as XREADGROUP / XAUTOCLAIM return it; fields are null for a deleted entry. */
export type RawEntry = [id: string, fields: EntryFields | null];

export interface Entry {
  key?: string;
  value?: string;
  /** undefined unless the field is a safe non-negative integer */
  version?: number;
  /** a delete: it carries no value */
  deleted: boolean;
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
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i];
    if (name === "k") key = fields[i + 1];
    else if (name === "v") value = fields[i + 1];
    else if (name === "ver") ver = fields[i + 1];
    else if (name === "del") deleted = fields[i + 1] === "1";
  }
  const version = ver !== undefined && /^\d{1,16}$/.test(ver) ? Number(ver) : NaN;
  return { key, value, version: Number.isSafeInteger(version) ? version : undefined, deleted };
}

/** The fields of a set (value) or a delete (value null). */
export function encodeEntry(key: string, value: string | null, version: number): EntryFields {
  return value === null ? ["k", key, "ver", String(version), "del", "1"] : ["k", key, "v", value, "ver", String(version)];
}

/** The Redis time (ms) at which the entry with this id was appended: when its write was acknowledged. */
export function idTimeMs(id: string): number {
  return Number(id.slice(0, id.indexOf("-")));
}

/** Roughly what an entry weighs in memory and on the wire: its fields' characters. */
export function entryBytes(fields: EntryFields | null): number {
  let n = 0;
  if (fields) for (const f of fields) n += f.length;
  return n;
}
