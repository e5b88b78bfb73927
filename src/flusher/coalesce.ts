// Turns raw stream entries into the rows of one upsert: the highest version per key wins
// (a delete is a row with no value: a tombstone; a write whose value is in the cache hash is a
// row marked inCache, which the flusher completes from the hash before persisting),
// keys sorted so concurrent flushers lock rows in the same order. Entries that cannot be
// rows at all (missing fields, a version that is not a safe integer) are returned as poison.
import { readEntry, type EntryFields, type RawEntry } from "../cache/entry";
import type { KeyedRow } from "../store/store";

export type { RawEntry };

/** A row to persist, and the stream entry its value came from. */
export interface EntryRow extends KeyedRow {
  id: string;
  /** the value is in the key's cache hash, not in the entry: read it before persisting (value is "" until then) */
  inCache?: boolean;
  /** the value's length the entry declared */
  size?: number;
}

export interface Poison {
  id: string;
  fields: EntryFields | null;
  reason: string;
}

export interface Coalesced {
  rows: EntryRow[]; // sorted by key
  ids: string[]; // every entry id the rows stand for
  poison: Poison[];
}

export function coalesce(entries: RawEntry[]): Coalesced {
  const best = new Map<string, EntryRow>();
  const ids: string[] = [];
  const poison: Poison[] = [];
  for (const [id, fields] of entries) {
    if (!fields) {
      poison.push({ id, fields, reason: "entry has no fields (deleted or trimmed)" });
      continue;
    }
    const { key, value, version, deleted, inCache, size } = readEntry(fields);
    if (key === undefined || version === undefined || (value === undefined && !deleted && !inCache)) {
      poison.push({ id, fields, reason: "malformed entry: needs k, an integer ver, and v, n or del" });
      continue;
    }
    ids.push(id);
    // Sets and deletes of a key coalesce alike: the highest version wins, whichever it is.
    const prev = best.get(key);
    if (!prev || version > prev.version) {
      best.set(key, inCache ? { key, value: "", version, id, inCache, size } : { key, value: deleted ? null : value!, version, id });
    }
  }
  // Plain code-unit order; Postgres sorts again in the statement, this order is for locks.
  const rows = [...best.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { rows, ids, poison };
}
