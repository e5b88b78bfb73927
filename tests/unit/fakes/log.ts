// An in-memory PartitionLog (src/cache/partitions.ts): streams per partition, leases with
// tokens, committed cursors, members, dead letters and the cache hashes values.lua reads. It
// keeps the rules the flusher relies on (a commit under a stale token changes nothing; a
// commit moves the cursor and trims the stream in one step, with its dead letters) and none of
// Redis's: the takeover rules of claim.lua are left to the integration tests.
//
// Faults: `fail(method, err)` makes the next call of a method reject; `before` is called at
// the start of every call (to stop a flusher, steal a lease, ... at an exact step); `onCommit`
// sees every commit before it applies, to check what it is about to make leave a stream.
import type { DeadLetter } from "../../../src/cache/dead";
import { encodeEntry, type EntryFields, type RawEntry } from "../../../src/cache/entry";
import { compareIds } from "../../../src/cache/ids";
import type { CachedValue, Claim, Claimant, Lease, PartitionCommit, PartitionLog } from "../../../src/cache/partitions";
import { partitionOf, qualify, splitId } from "../../../src/keys";

export type LogMethod = "members" | "claim" | "renew" | "release" | "lapse" | "read" | "values" | "suspect" | "commit" | "clean";

export interface StoredEntry {
  id: string;
  fields: EntryFields;
}

interface LeaseState {
  token: string;
  consumer: string;
  expiresAt: number;
}

export class FakeLog implements PartitionLog {
  readonly streams: StoredEntry[][];
  readonly cursors: string[];
  readonly dead: DeadLetter[][];
  readonly leases = new Map<number, LeaseState>();
  /** the cache hashes: the value and version values.lua finds */
  readonly cache = new Map<string, { value: string | null; version: number }>();
  readonly cleaned: { key: string; version: number }[] = [];
  readonly calls: LogMethod[] = [];
  private memberList = new Map<string, number>();
  private failures = new Map<LogMethod, unknown[]>();
  private seq = 0;
  private epoch = 0;
  /** called first in every call; may throw (the call fails) or act on the world */
  before?: (method: LogMethod) => void | Promise<void>;
  /** sees each commit of a partition whose lease holds, before it applies */
  onCommit?: (part: PartitionCommit, trimmed: StoredEntry[]) => void;

  constructor(readonly partitions = 1) {
    this.streams = Array.from({ length: partitions }, () => []);
    this.cursors = Array.from({ length: partitions }, () => "0-0");
    this.dead = Array.from({ length: partitions }, () => []);
  }

  /** Appends a write as set.lua would (the cache hash too); a value of `size` bytes or more stays in the hash only. Returns its qualified id. */
  write(key: string, value: string | null, version: number, o: { inCacheFrom?: number } = {}): string {
    const p = partitionOf(key, this.partitions);
    const id = `${1_700_000_000_000 + this.seq}-${this.seq++ % 3}`;
    const big = value !== null && o.inCacheFrom !== undefined && value.length >= o.inCacheFrom;
    const fields = big ? ["k", key, "ver", String(version), "n", String(value!.length)] : encodeEntry(key, value, version);
    this.streams[p]!.push({ id, fields });
    const held = this.cache.get(key);
    if (!held || held.version < version) this.cache.set(key, { value, version });
    return qualify(id, p);
  }

  /** Appends raw fields (a malformed entry, say). */
  append(p: number, fields: EntryFields): string {
    const id = `${1_700_000_000_000 + this.seq}-${this.seq++ % 3}`;
    this.streams[p]!.push({ id, fields });
    return qualify(id, p);
  }

  /** The next call of `method` rejects with `err` (queued: call again for the one after). */
  fail(method: LogMethod, err: unknown = new Error(`injected ${method} failure`)): void {
    const q = this.failures.get(method) ?? [];
    q.push(err);
    this.failures.set(method, q);
  }

  /** Another consumer takes partition `p`: the holder's token no longer holds. */
  steal(p: number, consumer = "thief"): void {
    this.leases.set(p, { token: `${++this.epoch}:${consumer}`, consumer, expiresAt: Date.now() + 60_000 });
  }

  backlog(): number {
    return this.streams.reduce((n, s) => n + s.length, 0);
  }

  private async enter(method: LogMethod): Promise<void> {
    this.calls.push(method);
    await this.before?.(method);
    const q = this.failures.get(method);
    if (q && q.length > 0) throw q.shift();
  }

  private holds(p: number, token: string): boolean {
    const l = this.leases.get(p);
    return l !== undefined && l.token === token;
  }

  async members(consumer: string, ttlMs: number): Promise<string[]> {
    await this.enter("members");
    const now = Date.now();
    if (ttlMs > 0) this.memberList.set(consumer, now + ttlMs);
    else this.memberList.delete(consumer);
    for (const [m, until] of this.memberList) if (until <= now) this.memberList.delete(m);
    return [...this.memberList.keys()].sort();
  }

  /** Adds a member as another live consumer would (without a flusher behind it). */
  join(consumer: string, ttlMs = 60_000): void {
    this.memberList.set(consumer, Date.now() + ttlMs);
  }

  async claim(p: number, who: Claimant, ttlMs: number): Promise<Claim | undefined> {
    await this.enter("claim");
    const l = this.leases.get(p);
    if (l && l.expiresAt > Date.now() && l.consumer !== who.consumer) return undefined;
    const token = `${++this.epoch}:${who.consumer}`;
    this.leases.set(p, { token, consumer: who.consumer, expiresAt: Date.now() + ttlMs });
    const s = this.streams[p]!;
    return { p, token, cursor: this.cursors[p]!, tries: 0, suspect: "", reach: s.length ? s[s.length - 1]!.id : this.cursors[p]! };
  }

  async renew(leases: Lease[], ttlMs: number): Promise<number[]> {
    await this.enter("renew");
    const lost: number[] = [];
    for (const l of leases) {
      if (this.holds(l.p, l.token)) this.leases.get(l.p)!.expiresAt = Date.now() + ttlMs;
      else lost.push(l.p);
    }
    return lost;
  }

  async release(leases: Lease[]): Promise<void> {
    await this.enter("release");
    for (const l of leases) if (this.holds(l.p, l.token)) this.leases.delete(l.p);
  }

  /** Only the same consumer counts as an earlier life here (claim's rule, simplified). */
  async lapse(p: number, who: Claimant): Promise<boolean> {
    await this.enter("lapse");
    const l = this.leases.get(p);
    if (!l || l.expiresAt <= Date.now() || l.consumer !== who.consumer) return false;
    this.leases.delete(p);
    return true;
  }

  async read(positions: Map<number, string>, count: number, blockMs: number): Promise<RawEntry[]> {
    await this.enter("read");
    const parts = [...positions.keys()];
    if (parts.length === 0) return [];
    const each = Math.max(1, Math.ceil(count / parts.length));
    const out: RawEntry[] = [];
    for (const p of parts) {
      const after = positions.get(p)!;
      for (const e of this.streams[p]!.filter((x) => compareIds(x.id, after) > 0).slice(0, each)) out.push([qualify(e.id, p), [...e.fields]]);
    }
    // A blocking read with nothing to return waits a little, as XREAD BLOCK would (never long: tests run fast).
    if (out.length === 0 && blockMs > 0) await Bun.sleep(Math.min(blockMs, 2));
    return out;
  }

  async values(keys: string[], _sizes: number[], _maxBytes: number): Promise<CachedValue[]> {
    await this.enter("values");
    return keys.map((k) => {
      const v = this.cache.get(k);
      return v ? { ...v } : undefined;
    });
  }

  async suspect(lease: Lease, _id: string): Promise<boolean> {
    await this.enter("suspect");
    return this.holds(lease.p, lease.token);
  }

  async commit(parts: PartitionCommit[]): Promise<number[]> {
    await this.enter("commit");
    const lost: number[] = [];
    for (const c of parts) {
      if (!this.holds(c.p, c.token)) {
        lost.push(c.p);
        continue;
      }
      const upTo = c.upTo === undefined ? undefined : splitId(c.upTo).id;
      const s = this.streams[c.p]!;
      const trimmed = upTo === undefined ? [] : s.filter((e) => compareIds(e.id, upTo) <= 0);
      this.onCommit?.(c, trimmed);
      this.dead[c.p]!.push(...c.dead);
      if (upTo !== undefined) {
        this.cursors[c.p] = compareIds(upTo, this.cursors[c.p]!) > 0 ? upTo : this.cursors[c.p]!;
        this.streams[c.p] = s.filter((e) => compareIds(e.id, upTo) > 0);
      }
    }
    return lost;
  }

  async clean(rows: { key: string; version: number; id: string }[], _ttlMs: number): Promise<void> {
    await this.enter("clean");
    for (const r of rows) this.cleaned.push({ key: r.key, version: r.version });
  }

  async close(): Promise<void> {}
}
