// Turns raw stream entries into the rows of one upsert: the highest version per key wins
// (a delete is a row with no value: a tombstone),
// keys sorted so concurrent flushers lock rows in the same order. Entries that cannot be
// rows at all (missing fields, a version that is not a safe integer) are returned as poison.
import { readEntry, type EntryFields, type RawEntry } from "../cache/entry";
import type { KeyedRow } from "../store/store";

export type { RawEntry };

/** A row to persist, and the stream entry its value came from. */
export interface EntryRow extends KeyedRow {
  id: string;
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
    const { key, value, version, deleted } = readEntry(fields);
    if (key === undefined || version === undefined || (value === undefined && !deleted)) {
      poison.push({ id, fields, reason: "malformed entry: needs k, an integer ver, and v (or del)" });
      continue;
    }
    ids.push(id);
    // Sets and deletes of a key coalesce alike: the highest version wins, whichever it is.
    const prev = best.get(key);
    if (!prev || version > prev.version) best.set(key, { key, value: deleted ? null : value!, version, id });
  }
  // Plain code-unit order; Postgres sorts again in the statement, this order is for locks.
  const rows = [...best.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { rows, ids, poison };
}
