// Which partitions this flusher thread consumes. Every live consumer of the deployment (each
// flusher thread of each instance) is a member (members.lua); the partitions are shared out
// round-robin over the members sorted by name, so every member computes the same assignment.
// A member claims the partitions assigned to it as their previous owners give them up (a
// release) or lapse (a crash, a stall), and gives up those assigned to another.
//
// Leases and membership are renewed by a timer, not by the flush loop, so a slow or retrying
// flush keeps its partitions; a thread or process that stops turning (killed, SIGSTOP) lets
// them lapse after FLUSH_CLAIM_IDLE_MS, and the others take over from the cursor.
import type { Claim, Claimant, Lease, PartitionLog } from "../cache/partitions";
import type { RawEntry } from "../cache/entry";
import { splitId } from "../keys";
import { errorFields, log } from "../log";
import type { Registry } from "../metrics";
import { compareIds } from "../cache/ids";

export interface Owned extends Lease {
  /** the last id committed: the cursor */
  committed: string;
  /** the last id read: the next read starts after it */
  next: string;
  /**
   * Flushing one entry at a time until the cursor passes `reach`: earlier owners crashed more
   * than FLUSH_MAX_DELIVERIES times on the entries after the cursor (claim.lua).
   */
  alone?: { reach: string; suspect: string };
  /** entries up to here were read before by an owner that never released the partition */
  rereadUntil?: string;
}

export interface OwnershipSettings {
  /** a lease's life: FLUSH_CLAIM_IDLE_MS */
  ttlMs: number;
  /** how often leases and membership are renewed */
  renewMs: number;
  /** FLUSH_MAX_DELIVERIES */
  maxTries: number;
  /** claim every partition, ignoring the members (the one-stream upgrade's single partition) */
  all?: boolean;
}

/** How soon to try again to claim partitions assigned to this thread that another still holds. */
const CLAIM_RETRY_MS = 250;
/** How often, at most, settle() looks at the members again (the renewal timer does too, less often). */
const MEMBERS_REFRESH_MS = 1000;

export class Ownership {
  readonly owned = new Map<number, Owned>();
  /** the live members at the last heartbeat (this one included) */
  private live: string[] = [];
  private timer?: ReturnType<typeof setInterval>;
  private nextClaim = 0;
  private membersAt = 0;
  readonly consumer: string;

  constructor(
    private log: PartitionLog,
    private who: Claimant,
    private s: OwnershipSettings,
    private metrics: Registry,
  ) {
    this.consumer = who.consumer;
  }

  /**
   * Joins the members, ends the leases an earlier life of this thread holds beyond its share,
   * then renews membership and leases every `renewMs` until stop().
   */
  async start(): Promise<void> {
    await this.heartbeat();
    if (this.timer) return; // a retried setup: the timer runs already
    await this.lapseEarlierLife();
    this.timer = setInterval(() => {
      this.heartbeat().catch((err) => log.debug("could not renew the partition leases", { consumer: this.consumer, ...errorFields(err) }));
    }, this.s.renewMs);
    this.timer.unref?.();
  }

  /**
   * Renews the leases first, then the membership: the members key lives on one Redis node (of a
   * Cluster), and its node being away must not let the leases of every other node lapse.
   */
  private async heartbeat(): Promise<void> {
    const leases = [...this.owned.values()];
    if (leases.length > 0) {
      const lost = await this.log.renew(leases, this.s.ttlMs);
      if (lost.length > 0) this.lose(lost);
    }
    await this.refreshMembers();
  }

  /**
   * Reads the live members. When that fails, the last list is kept (and the next turn tries
   * again), so the partitions already owned keep being flushed while the members key is away.
   */
  private async refreshMembers(): Promise<void> {
    if (this.s.all) return;
    this.membersAt = Date.now();
    try {
      this.live = await this.log.members(this.consumer, this.s.ttlMs);
    } catch (err) {
      if (this.live.length === 0) throw err; // never seen: nothing to share out by yet
      log.debug("could not read the members; keeping the last list", { consumer: this.consumer, ...errorFields(err) });
    }
  }

  /**
   * A thread restarted after a crash (or an instance restarted under its CONSUMER_NAME) claims
   * its own share at once (claim.lua takes an earlier life's lease), but what its earlier life
   * held beyond that share (at startup one thread claims every partition before the others
   * join) would wait FLUSH_CLAIM_IDLE_MS for its next owner: ended now, it is claimed at once.
   */
  private async lapseEarlierLife(): Promise<void> {
    if (this.s.all) return;
    const want = this.desired();
    let ended = 0;
    for (let p = 0; p < this.log.partitions; p++) {
      if (!want.has(p) && (await this.log.lapse(p, this.who))) ended++;
    }
    if (ended > 0) log.info("ended the partition leases an earlier life of this thread held beyond its share", { consumer: this.consumer, partitions: ended });
  }

  /** The partitions this member should own: round-robin over the live members, sorted by name. */
  desired(): Set<number> {
    const n = this.log.partitions;
    if (this.s.all) return new Set(Array.from({ length: n }, (_, p) => p));
    const members = this.live.includes(this.consumer) ? this.live : [...this.live, this.consumer].sort();
    const me = members.indexOf(this.consumer);
    const out = new Set<number>();
    for (let p = me; p < n; p += members.length) out.add(p);
    return out;
  }

  /**
   * Between batches: gives up owned partitions assigned to another member, and claims the
   * assigned ones this thread lacks (another may still hold them: tried again shortly).
   */
  async settle(): Promise<void> {
    // Members that just joined (threads starting together) are seen within a second, not a renewal period.
    if (Date.now() - this.membersAt >= MEMBERS_REFRESH_MS) await this.refreshMembers();
    const want = this.desired();
    const extra = [...this.owned.values()].filter((o) => !want.has(o.p));
    if (extra.length > 0) {
      for (const o of extra) this.owned.delete(o.p);
      await this.log.release(extra);
    }
    if (Date.now() < this.nextClaim) return;
    const missing = [...want].filter((p) => !this.owned.has(p));
    for (const p of missing) {
      const claim = await this.log.claim(p, this.who, this.s.ttlMs);
      if (claim) this.take(claim);
    }
    const stillMissing = missing.some((p) => !this.owned.has(p));
    this.nextClaim = stillMissing ? Date.now() + CLAIM_RETRY_MS : 0;
  }

  /**
   * Claims every partition nobody holds now (one given back but not yet claimed by its next
   * owner, or one whose owner's lease lapsed), whoever it is assigned to: a thread that is
   * stopping drains those too before it says it stopped drained. Returns whether it took any.
   */
  async sweep(): Promise<boolean> {
    let took = false;
    for (let p = 0; p < this.log.partitions; p++) {
      if (this.owned.has(p)) continue;
      const claim = await this.log.claim(p, this.who, this.s.ttlMs);
      if (claim) {
        this.take(claim);
        took = true;
      }
    }
    return took;
  }

  private take(c: Claim): void {
    const o: Owned = { p: c.p, token: c.token, committed: c.cursor, next: c.cursor };
    if (c.tries > 0) {
      o.rereadUntil = c.reach;
      this.metrics.inc("writeback_partition_takeovers_total");
    }
    if (c.tries > this.s.maxTries) {
      o.alone = { reach: c.reach, suspect: c.suspect };
      log.warn("the entries of a partition crashed its owners too often; flushing them one at a time", {
        consumer: this.consumer,
        partition: c.p,
        tries: c.tries,
      });
    }
    this.owned.set(c.p, o);
  }

  /** Partitions whose lease is no longer this thread's: another consumer reads them from the cursor. */
  lose(ps: number[]): void {
    for (const p of ps) {
      if (this.owned.delete(p)) log.info("a partition's lease was lost; another consumer owns it now", { consumer: this.consumer, partition: p });
    }
  }

  /** Where the next read of each partition flushed in batches starts. */
  positions(): Map<number, string> {
    const out = new Map<number, string>();
    for (const o of this.owned.values()) if (!o.alone) out.set(o.p, o.next);
    return out;
  }

  /** The partitions being flushed one entry at a time. */
  alone(): Owned[] {
    return [...this.owned.values()].filter((o) => o.alone);
  }

  /** Notes what a read returned: the next read starts after it. Counts entries read again after a takeover. */
  advance(entries: RawEntry[]): void {
    let reread = 0;
    for (const [qid] of entries) {
      const { id, p } = splitId(qid);
      const o = this.owned.get(p);
      if (!o) continue;
      o.next = id;
      if (o.rereadUntil !== undefined) {
        if (compareIds(id, o.rereadUntil) <= 0) reread++;
        else o.rereadUntil = undefined;
      }
    }
    if (reread > 0) this.metrics.inc("writeback_reclaimed_entries_total", undefined, reread);
  }

  /** The cursor of `p` moved to `id` (a commit went through). */
  committed(p: number, id: string): void {
    const o = this.owned.get(p);
    if (o && compareIds(id, o.committed) > 0) o.committed = id;
  }

  /** After a failed turn: read again from what was committed. */
  rewind(): void {
    for (const o of this.owned.values()) o.next = o.committed;
  }

  /** Stops renewing, gives every partition back and leaves the members: the others take over at once. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    const leases = [...this.owned.values()];
    this.owned.clear();
    await this.log.release(leases);
    if (!this.s.all) await this.log.members(this.consumer, 0);
  }

  /** Stops renewing without giving anything back (the connection is gone, or the drain ran out of time). */
  abandon(): void {
    clearInterval(this.timer);
  }
}
