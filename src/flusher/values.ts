// Writes of large values carry no value in their stream entry (entry.ts): the key's cache hash
// holds it. These complete such rows, and such dead letters, from the cache before they are
// persisted or written.
import type { DeadLetter } from "../cache/dead";
import { encodeEntry, readEntry } from "../cache/entry";
import type { CachedValue } from "../cache/partitions";
import { log } from "../log";
import type { Store } from "../store/store";
import type { EntryRow } from "./coalesce";

/** The current value and version in the cache hash of each key (sizes: what the entries declared). */
export type ReadValues = (keys: string[], sizes: number[]) => Promise<CachedValue[]>;

/**
 * Completes the rows whose value is in the cache hash: each gets the hash's current value and
 * version, which is at least the entry's (the hash keeps a dirty value until a version at least
 * as new is persisted, clean.lua), so the guard and coalescing hold as if the entry had carried
 * it. A hash that is gone or older means the entry was persisted before its cache entry expired
 * or was evicted: the database is asked, and if it does not hold the entry's version, the write
 * is lost (only an allkeys-* eviction policy or a hand-deleted key can do that): it becomes a
 * dead letter naming the key, with no value to re-drive. `dead` gains those; the rows to
 * persist are returned.
 */
export async function withValues(rows: EntryRow[], dead: DeadLetter[], values: ReadValues, store: Store): Promise<EntryRow[]> {
  const need = rows.filter((r) => r.inCache);
  if (need.length === 0) return rows;
  const found = await values(
    need.map((r) => r.key),
    need.map((r) => r.size ?? 0),
  );
  const missing: EntryRow[] = [];
  const out: EntryRow[] = [];
  let n = 0;
  for (const r of rows) {
    if (!r.inCache) {
      out.push(r);
      continue;
    }
    const v = found[n++];
    if (v && v.version >= r.version) out.push({ key: r.key, value: v.value, version: v.version, id: r.id });
    else missing.push(r);
  }
  if (missing.length === 0) return out;
  const persisted = await store.versions(missing.map((r) => r.key));
  for (const r of missing) {
    if ((persisted.get(r.key) ?? -1) >= r.version) continue; // persisted already; committed with the rest
    dead.push({
      id: r.id,
      fields: ["k", r.key, "ver", String(r.version)],
      reason: "value missing from the cache",
      error: "the key's cache entry is gone or older than this write, and the database does not hold it: evicted under an allkeys-* policy, deleted by hand, or lost by Redis",
    });
    log.error("a write's value is missing from the cache; dead-lettered without it", { key: r.key, version: r.version });
  }
  return out;
}

/** Dead letters keep the value: a letter of a write whose value is in the cache hash gets it from there. */
export async function lettersWithValues(letters: DeadLetter[], values: ReadValues): Promise<DeadLetter[]> {
  const need = letters
    .map((d, i) => ({ i, e: d.fields ? readEntry(d.fields) : undefined }))
    .filter((x) => x.e?.inCache && x.e.key !== undefined && x.e.version !== undefined);
  if (need.length === 0) return letters;
  const found = await values(
    need.map((x) => x.e!.key!),
    need.map((x) => x.e!.size),
  );
  const out = [...letters];
  need.forEach((x, n) => {
    const v = found[n];
    if (v && v.version >= x.e!.version!) out[x.i] = { ...out[x.i]!, fields: encodeEntry(x.e!.key!, v.value, v.version) };
  });
  return out;
}
