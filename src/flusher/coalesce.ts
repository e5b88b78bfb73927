// Turns raw stream entries into the rows of one upsert: the highest version per key wins,
// keys sorted so concurrent flushers lock rows in the same order. Entries that cannot be
// rows at all (missing fields, a version that is not a safe integer) are returned as poison.

export type RawEntry = [id: string, fields: string[] | null];

export interface Row {
  key: string;
  value: string;
  version: number;
  /** the stream entry this row's value came from */
  id: string;
}

export interface Poison {
  id: string;
  fields: string[] | null;
  reason: string;
}

export interface Coalesced {
  rows: Row[]; // sorted by key
  ids: string[]; // every entry id the rows stand for
  poison: Poison[];
}

function field(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

export function coalesce(entries: RawEntry[]): Coalesced {
  const best = new Map<string, Row>();
  const ids: string[] = [];
  const poison: Poison[] = [];
  for (const [id, fields] of entries) {
    if (!fields) {
      poison.push({ id, fields, reason: "entry has no fields (deleted or trimmed)" });
      continue;
    }
    const key = field(fields, "k");
    const value = field(fields, "v");
    const verText = field(fields, "ver");
    const version = verText !== undefined && /^\d{1,16}$/.test(verText) ? Number(verText) : NaN;
    if (key === undefined || value === undefined || !Number.isSafeInteger(version)) {
      poison.push({ id, fields, reason: "malformed entry: needs k, v and an integer ver" });
      continue;
    }
    ids.push(id);
    const prev = best.get(key);
    if (!prev || version > prev.version) best.set(key, { key, value, version, id });
  }
  // Plain code-unit order; Postgres sorts again in the statement, this order is for locks.
  const rows = [...best.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { rows, ids, poison };
}
