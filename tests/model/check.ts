// The history checker: judges what the clients saw, key by key, against what a write-behind
// cache promises (README "Durability contract", "API"). Concurrency is handled by real time:
// an operation "began after" a write was acknowledged when it started after that write's
// answer arrived; operations that overlap may see each other or not. A write whose answer was
// lost (outcome "unknown") may have happened, at any time after it began, or not at all: it
// may explain what a read saw but is never required to have happened.
//
// Rules, per key:
// 1. version order: acknowledged writes have distinct versions, and one acknowledged before
//    another began has the lower version.
// 2. every version answered (read, status, final row) is one some write had: an acknowledged
//    write's version answers that write's value (never a value for a delete's version);
//    any other version needs an unknown write that began before the answer (a set of that
//    value, an incr, or for a status or a tombstone a delete).
// 3. freshness: a cache read (source=cache) or a status answers at least the newest version
//    acknowledged or seen before it began; a database read (source=db) at least the newest
//    version known to be in the database before it began (acknowledged with persisted: true,
//    answered from the database, or a status's persistedVersion). A 404 needs a delete at or
//    after that version (or an unknown delete), or no such version at all.
// 4. incr: ordered by version, an acknowledged incr answers the previous version's value
//    (0 after a delete or for a key never written) plus `by`. Unknown writes that began before
//    the incr ended may sit in between: then any value reachable by applying some of them in
//    some order is allowed; with more than 6 of them the incr is counted as unchecked.
// 5. at the end, faults healed and the flusher caught up: the database holds each key's newest
//    acknowledged (or seen) version, or a newer one an unknown write explains.
import { showVersion, versionBase, type Op, type Row } from "./history";
import { outcomeOf, unexpectedAnswer, WRITES, type Outcome } from "./outcome";

export type Rule = "unexpected-answer" | "service-exit" | "version-order" | "unexplained-version" | "stale-read" | "incr-chain" | "lost-write";

export interface Violation {
  rule: Rule;
  key?: string;
  message: string;
  /** the operations it names, the offending one first */
  ops: number[];
}

export interface Stats {
  ops: number;
  faults: number;
  acked: number;
  unknown: number;
  failed: number;
  readsChecked: number;
  incrsChecked: number;
  incrsUnchecked: number;
}

interface Write { op: Op; key: string; kind: "set" | "del" | "incr"; value?: string; by?: number; version?: number; outcome: Outcome; persisted: boolean }
interface Read { op: Op; key: string; source: "cache" | "db"; found: boolean; value?: string; version?: number; from?: "cache" | "db" }
interface Status { op: Op; key: string; found: boolean; version?: number; persistedVersion?: number | null; redisOnly?: boolean }
interface PerKey { writes: Write[]; reads: Read[]; statuses: Status[] }
interface Floor { t: number; v: number; op: number; why: string }

const MAX_UNKNOWN_IN_CHAIN = 6;

function int(s: string | undefined): bigint | undefined {
  if (s === undefined || !/^-?\d+$/.test(s)) return undefined;
  return BigInt(s);
}

function byKey(ops: Op[], keys: string[], out: Violation[]): Map<string, PerKey> {
  const m = new Map<string, PerKey>(keys.map((k) => [k, { writes: [], reads: [], statuses: [] }]));
  const of = (k: string) => {
    if (!m.has(k)) m.set(k, { writes: [], reads: [], statuses: [] });
    return m.get(k)!;
  };
  for (const op of ops) {
    if (op.kind === "fault") continue;
    const odd = unexpectedAnswer(op);
    if (odd) out.push({ rule: "unexpected-answer", message: `#${op.id}: ${odd}`, ops: [op.id] });
    if (WRITES.has(op.kind)) {
      const outcome = outcomeOf(op);
      op.keys.forEach((key, i) => {
        const kind = op.kind === "set" || op.kind === "mset" ? "set" : op.kind === "incr" ? "incr" : "del";
        const item = op.items.find((it) => it.key === key);
        if (outcome === "ok" && typeof item?.version !== "number") {
          out.push({ rule: "unexpected-answer", key, message: `#${op.id}: an acknowledged write without a version for ${key}`, ops: [op.id] });
          return;
        }
        of(key).writes.push({
          op,
          key,
          kind,
          value: kind === "set" ? op.values![i] : kind === "incr" && outcome === "ok" ? item?.value : undefined,
          by: op.by,
          version: outcome === "ok" ? item!.version : undefined,
          outcome,
          persisted: op.persisted === true,
        });
      });
    } else if (op.status === 200 || op.status === 404) {
      for (const key of op.keys) {
        const item = op.items.find((it) => it.key === key);
        const found = op.status === 200 && item !== undefined && item.found !== false;
        if (op.kind === "status") of(key).statuses.push({ op, key, found, version: item?.version, persistedVersion: item?.persistedVersion, redisOnly: item?.redisOnly });
        else of(key).reads.push({ op, key, source: op.source ?? "cache", found, value: item?.value, version: item?.version, from: item?.from });
      }
    }
  }
  return m;
}

/** Values reachable from `base` by applying some of `writes`, each at most once, in any order. */
function reachable(base: bigint, writes: Write[]): Set<bigint> {
  const out = new Set<bigint>();
  const seen = new Set<string>();
  const go = (v: bigint, used: number) => {
    const k = `${used}:${v}`;
    if (seen.has(k)) return;
    seen.add(k);
    out.add(v);
    writes.forEach((w, j) => {
      if (used & (1 << j)) return;
      const next = w.kind === "del" ? 0n : w.kind === "set" ? int(w.value) : v + BigInt(w.by ?? 1);
      if (next !== undefined) go(next, used | (1 << j));
    });
  };
  go(base, 0);
  return out;
}

function checkKey(key: string, k: PerKey, final: Map<string, Row | null> | undefined, base: number, out: Violation[], stats: Stats): void {
  const V = (v: number | null | undefined) => showVersion(v, base);
  const fail = (rule: Rule, message: string, ops: number[]) => out.push({ rule, key, message: `${key}: ${message}`, ops });
  const acked = k.writes.filter((w) => w.outcome === "ok");
  const unknown = k.writes.filter((w) => w.outcome === "unknown");

  // 1. version order
  const byVersion = new Map<number, Write>();
  for (const w of acked) {
    const other = byVersion.get(w.version!);
    if (other) fail("version-order", `#${w.op.id} and #${other.op.id} were both acknowledged with ${V(w.version)}`, [w.op.id, other.op.id]);
    byVersion.set(w.version!, w);
  }
  for (const a of acked)
    for (const b of acked)
      if (a.op.end < b.op.start && a.version! >= b.version!)
        fail("version-order", `#${b.op.id} began after #${a.op.id} was acknowledged with ${V(a.version)}, but got the lower ${V(b.version)}`, [b.op.id, a.op.id]);

  // 2. every version answered is one some write had
  const revealed = new Map<number, { value?: string; deleted?: boolean }>();
  type Expect = { value: string } | { tombstone: true } | { any: true };
  const explain = (version: number, expect: Expect, at: { id: number; end: number }, what: string) => {
    const w = byVersion.get(version);
    if (w) {
      if (w.op.start > at.end) fail("unexplained-version", `${what} answered ${V(version)} of #${w.op.id}, which began after it`, [at.id, w.op.id]);
      else if ("value" in expect && w.kind === "del") fail("unexplained-version", `${what} answered the value ${expect.value} for ${V(version)}, the version of delete #${w.op.id}`, [at.id, w.op.id]);
      else if ("value" in expect && w.value !== expect.value) fail("unexplained-version", `${what} answered ${expect.value} at ${V(version)}, which #${w.op.id} wrote as ${w.value}`, [at.id, w.op.id]);
      else if ("tombstone" in expect && w.kind !== "del") fail("unexplained-version", `${what} is a tombstone at ${V(version)}, which #${w.op.id} wrote as ${w.value}`, [at.id, w.op.id]);
      return;
    }
    const fits = (u: Write) =>
      u.op.start < at.end &&
      ("any" in expect || ("tombstone" in expect ? u.kind === "del" : u.kind === "incr" || (u.kind === "set" && u.value === expect.value)));
    const by = unknown.filter(fits);
    if (by.length === 0) {
      const shown = "value" in expect ? `${expect.value} at ${V(version)}` : V(version);
      fail("unexplained-version", `${what} answered ${shown}, which no write of the key (acknowledged or unknown) explains`, [at.id]);
      return;
    }
    const r = revealed.get(version) ?? {};
    if ("value" in expect) {
      if (r.value !== undefined && r.value !== expect.value) fail("unexplained-version", `${what} answered ${expect.value} at ${V(version)}, seen elsewhere as ${r.value}`, [at.id]);
      r.value = expect.value;
    }
    if ("tombstone" in expect) r.deleted = true;
    revealed.set(version, r);
  };
  for (const r of k.reads) if (r.found) explain(r.version!, { value: r.value! }, r.op, `#${r.op.id} (${r.op.kind} source=${r.source})`);
  for (const s of k.statuses) {
    if (!s.found) continue;
    explain(s.version!, { any: true }, s.op, `#${s.op.id} (status)`);
    if (s.persistedVersion != null) explain(s.persistedVersion, { any: true }, s.op, `#${s.op.id} (status persistedVersion)`);
  }

  // 3. freshness
  const cacheFloors: Floor[] = [];
  const dbFloors: Floor[] = [];
  for (const w of acked) {
    cacheFloors.push({ t: w.op.end, v: w.version!, op: w.op.id, why: "acknowledged" });
    if (w.persisted) dbFloors.push({ t: w.op.end, v: w.version!, op: w.op.id, why: "acknowledged as persisted" });
  }
  for (const r of k.reads) {
    if (!r.found) continue;
    cacheFloors.push({ t: r.op.end, v: r.version!, op: r.op.id, why: "answered" });
    if (r.from === "db") dbFloors.push({ t: r.op.end, v: r.version!, op: r.op.id, why: "answered from the database" });
  }
  for (const s of k.statuses) {
    if (!s.found) continue;
    cacheFloors.push({ t: s.op.end, v: s.version!, op: s.op.id, why: "answered as the latest" });
    if (s.persistedVersion != null) {
      cacheFloors.push({ t: s.op.end, v: s.persistedVersion, op: s.op.id, why: "answered as persisted" });
      dbFloors.push({ t: s.op.end, v: s.persistedVersion, op: s.op.id, why: "answered as persisted" });
    }
  }
  const floorAt = (fs: Floor[], t: number) => fs.reduce<Floor | undefined>((best, f) => (f.t < t && (!best || f.v > best.v) ? f : best), undefined);
  const deleteFrom = (v: number, end: number) => k.writes.some((d) => d.kind === "del" && d.op.start < end && (d.outcome === "unknown" || (d.outcome === "ok" && d.version! >= v)));
  for (const r of k.reads) {
    stats.readsChecked++;
    const f = floorAt(r.source === "cache" ? cacheFloors : dbFloors, r.op.start);
    if (!f) continue;
    const what = `#${r.op.id} (${r.op.kind} source=${r.source}) began after #${f.op} ${f.why} ${V(f.v)}`;
    if (r.found && r.version! < f.v) fail("stale-read", `${what}, but answered the older ${r.value} at ${V(r.version)}${r.from ? ` (from ${r.from})` : ""}`, [r.op.id, f.op]);
    if (!r.found && !deleteFrom(f.v, r.op.end)) fail("stale-read", `${what}, but answered not found, and no delete explains that`, [r.op.id, f.op]);
  }
  for (const s of k.statuses) {
    stats.readsChecked++;
    const fc = floorAt(cacheFloors, s.op.start);
    const fd = floorAt(dbFloors, s.op.start);
    if (!s.found && fc) fail("stale-read", `#${s.op.id} (status) began after #${fc.op} ${fc.why} ${V(fc.v)}, but answered 404`, [s.op.id, fc.op]);
    if (s.found && fc && s.version! < fc.v) fail("stale-read", `#${s.op.id} (status) began after #${fc.op} ${fc.why} ${V(fc.v)}, but answered version ${V(s.version)}`, [s.op.id, fc.op]);
    // Answered by Redis alone (the database away), persistedVersion null says "not known to be
    // persisted", which is true of a write whose commit Redis has not yet been told of; a version
    // it does give must still be at least the floor.
    const unknown = s.redisOnly && s.persistedVersion == null;
    if (s.found && fd && !unknown && (s.persistedVersion ?? -1) < fd.v)
      fail("stale-read", `#${s.op.id} (status) began after #${fd.op} ${fd.why} ${V(fd.v)}, but answered persistedVersion ${V(s.persistedVersion)}`, [s.op.id, fd.op]);
  }

  // 4. incr chain
  type Node = { version: number; value: bigint | undefined; op?: number; what: string };
  const nodes: Node[] = acked.map((w) => ({
    version: w.version!,
    value: w.kind === "del" ? 0n : int(w.value),
    op: w.op.id,
    what: w.kind === "del" ? `delete #${w.op.id}` : `#${w.op.id} (${w.op.kind}) = ${w.value}`,
  }));
  for (const [version, r] of revealed)
    nodes.push({ version, value: r.deleted ? 0n : int(r.value), what: r.value !== undefined ? `a read's ${r.value}` : "a status's version" });
  nodes.sort((a, b) => a.version - b.version);
  for (const i of acked) {
    if (i.kind !== "incr") continue;
    const prev = nodes.filter((n) => n.version < i.version!).at(-1);
    const start = prev ? prev.value : 0n;
    const between = unknown.filter((u) => u.op.start < i.op.end);
    const got = int(i.value);
    if (start === undefined || got === undefined || between.length > MAX_UNKNOWN_IN_CHAIN) {
      stats.incrsUnchecked++;
      continue;
    }
    stats.incrsChecked++;
    const allowed = reachable(start, between);
    if (allowed.has(got - BigInt(i.by ?? 1))) continue;
    const from = prev ? `the previous version ${V(prev.version)} is ${prev.what}` : "no earlier version exists";
    const expected = [...allowed].map((b) => String(b + BigInt(i.by ?? 1))).join(" or ");
    const maybe = between.length ? ` (with the unknown writes ${between.map((u) => `#${u.op.id}`).join(", ")} possibly in between)` : "";
    fail("incr-chain", `#${i.op.id} incr by ${i.by} answered ${i.value} at ${V(i.version)}, but ${from}: expected ${expected}${maybe}`, [i.op.id, ...(prev?.op ? [prev.op] : [])]);
  }

  // 5. the database at the end
  if (!final) return;
  const row = final.get(key) ?? null;
  let top: Node | undefined;
  for (const n of nodes) if (!top || n.version > top.version) top = n;
  const at = { id: 0, end: Number.POSITIVE_INFINITY };
  if (!row) {
    if (top) fail("lost-write", `the database has no row, but ${V(top.version)} (${top.what}) was acknowledged or seen`, top.op ? [top.op] : []);
    return;
  }
  if (top && row.version < top.version)
    fail("lost-write", `the database ends at ${row.value ?? "a tombstone"} ${V(row.version)}, older than ${V(top.version)} (${top.what})`, top.op ? [top.op] : []);
  else explain(row.version, row.value === null ? { tombstone: true } : { value: row.value }, at, "the database's final row");
}

/**
 * Checks a run's history; `final` is the database's rows at the end (after the faults healed
 * and the flusher caught up), or undefined to skip rule 5. `keys` are the run's keys.
 */
export function checkHistory(ops: Op[], keys: string[], final?: Map<string, Row | null>): { violations: Violation[]; stats: Stats } {
  const violations: Violation[] = [];
  const stats: Stats = { ops: 0, faults: 0, acked: 0, unknown: 0, failed: 0, readsChecked: 0, incrsChecked: 0, incrsUnchecked: 0 };
  for (const op of ops) {
    if (op.kind === "fault") stats.faults++;
    else stats.ops++;
    if (WRITES.has(op.kind)) stats[({ ok: "acked", unknown: "unknown", failed: "failed" } as const)[outcomeOf(op)]]++;
  }
  const base = versionBase(ops);
  for (const [key, k] of byKey(ops, keys, violations)) checkKey(key, k, final, base, violations, stats);
  return { violations, stats };
}
