// One flusher: reads the write stream through the consumer group, persists batches, and only
// then acknowledges them. Invariant, enforced in flush(): an entry is acknowledged (and
// trimmed) only after the transaction that persisted it has committed, or together with the
// write of its dead letter (dead.lua), never otherwise.
//
// States: setup (schema, owner, group) -> pending (re-read this consumer's own unacknowledged
// entries from a previous life) -> live (new entries, blocking read) -> draining (on stop:
// non-blocking reads until the stream is empty or the grace period ends) -> stopped.
// Every wait (backoff, linger) ends early when a drain starts and never outlasts its deadline.
import type { Config } from "../config";
import { entryBytes, encodeEntry, idTimeMs, readEntry, type RawEntry } from "../cache/entry";
import type { DeadLetter } from "../cache/dead";
import { redisErrorCode } from "../cache/errors";
import { ConsumerGroup, FORGET_IDLE_MS } from "../cache/group";
import { FatalError } from "../fatal";
import type { Keys } from "../keys";
import { errorFields, log } from "../log";
import type { Registry } from "../metrics";
import { openStore } from "../store/open";
import { DeadlineError, type Store } from "../store/store";
import { crashPoint } from "../testing/crash";
import { backoffMs } from "./backoff";
import { READ_CHUNK } from "./chunks";
import { coalesce, type EntryRow } from "./coalesce";
import { persist } from "./persist";
import { reclaimed } from "./reclaim";

export interface FlusherOptions {
  /** refuse to run when the database belongs to another KEY_PREFIX (the process does; tests that share a database do not) */
  claimOwner?: boolean;
  /** drain the stream once and stop: take over every pending entry, persist everything, return (upgrade.ts) */
  upgrade?: boolean;
}

/** The database is another deployment's: flushing into it would overwrite its rows. */
export class OwnerConflictError extends FatalError {
  constructor(message: string) {
    super("OWNER_CONFLICT", message);
  }
}

class DrainExpired extends Error {}

/** How often each thread purges expired tombstones, and how many one statement deletes. */
const PURGE_INTERVAL_MS = 60_000;
const PURGE_BATCH = 500;
const PURGE_MAX_BATCHES = 20;

export class Flusher {
  readonly consumer: string;
  private store: Store;
  private group: ConsumerGroup;
  private stopping = false;
  private drainDeadline = Infinity;
  private nextReclaim = 0;
  private nextPurge = Date.now() + PURGE_INTERVAL_MS * Math.random(); // threads purge at different times
  private wakers = new Set<() => void>();
  /**
   * Largest entry of the last reads (halving per read): sizes the next read so one stays
   * within an eighth of FLUSH_BATCH_BYTES. It starts at the largest entry a write can make,
   * so the first reads are small and grow as small entries are seen.
   */
  private entrySize: number;
  /** time of the last loop turn that finished: the liveness heartbeat */
  lastBeat = Date.now();
  /** when the batch being flushed was first tried (0: none): progress, as /health sees it */
  busySince = 0;
  /** the last error of the batch being flushed, for /health */
  lastError = "";
  /** called with the rows of each commit (keys at their versions), before they are acknowledged */
  onCommitted?: (rows: EntryRow[]) => void;

  constructor(
    private config: Config,
    k: Keys,
    index: number,
    private metrics: Registry,
    private options: FlusherOptions = {},
  ) {
    this.consumer = `${config.CONSUMER_NAME}-${index}`;
    this.group = ConsumerGroup.connect(config, k, this.consumer);
    this.store = openStore({
      url: config.DATABASE_URL,
      max: 1,
      statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
      lockTimeoutMs: config.DB_LOCK_TIMEOUT_MS,
      // migrate() refuses a database that could never take a row of these (exit 2)
      maxKeyBytes: config.MAX_KEY_BYTES,
      maxValueBytes: config.MAX_VALUE_BYTES,
    });
    this.entrySize = config.MAX_KEY_BYTES + config.MAX_VALUE_BYTES;
  }

  /** Replaces the database client after it threw from one of its own callbacks: its state is not to be trusted. */
  resetDb(): void {
    this.store.reset();
  }

  /** Ask the loop to finish what is in the stream within `graceMs`, then return. */
  drain(graceMs: number): void {
    this.stopping = true;
    this.drainDeadline = Date.now() + graceMs;
    setTimeout(() => this.expire(new DrainExpired()), graceMs);
    for (const wake of [...this.wakers]) wake();
  }

  /** Whether the drain's deadline passed, and the steps to abandon when it does. */
  private hasExpired = false;
  private onExpire = new Set<(err: DrainExpired) => void>();
  private expire(err: DrainExpired): void {
    this.hasExpired = true;
    for (const abandon of [...this.onExpire]) abandon(err);
  }

  /**
   * `work`, or a DrainExpired rejection when the drain's deadline passes first. Not a race
   * against one long-lived promise: each race would leave a reaction on it, holding the
   * step's result (a batch's rows) until the thread ends, a leak of every batch.
   */
  private untilExpired<T>(work: Promise<T>): Promise<T> {
    if (this.hasExpired) return Promise.reject(new DrainExpired());
    return new Promise<T>((resolve, reject) => {
      const abandon = (err: DrainExpired) => reject(err);
      this.onExpire.add(abandon);
      work.then(
        (v) => {
          this.onExpire.delete(abandon);
          resolve(v);
        },
        (e) => {
          this.onExpire.delete(abandon);
          reject(e);
        },
      );
    });
  }

  private get outOfTime(): boolean {
    return this.stopping && Date.now() >= this.drainDeadline;
  }

  /** Waits `ms`, or less: until a drain starts, and never past the drain's deadline. */
  private pause(ms: number): Promise<void> {
    const wait = Math.min(ms, this.drainDeadline - Date.now());
    if (wait <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, wait);
      this.wakers.add(done);
    });
  }

  /** Runs until stopped; resolves true when it stopped drained (nothing of its own left pending). */
  async run(): Promise<boolean> {
    const ready = await this.retrying("setup", async () => {
      await this.store.migrate();
      if (this.options.claimOwner) {
        const owner = await this.store.claimOwner(this.config.KEY_PREFIX);
        if (owner !== this.config.KEY_PREFIX) {
          throw new OwnerConflictError(
            `the database's table belongs to the deployment with KEY_PREFIX=${JSON.stringify(owner)}, not ${JSON.stringify(this.config.KEY_PREFIX)}: give each deployment its own database (DATABASE_URL) or use the same KEY_PREFIX`,
          );
        }
      }
      await this.group.ensure();
      return true;
    });
    if (this.options.upgrade && ready) {
      // Everything pending on any consumer is taken over at once: the old release's
      // instances are stopped (or their entries are replayed harmlessly by the version guard).
      for await (const entries of reclaimed(this.group, { ...this.config, FLUSH_CLAIM_IDLE_MS: 0 }, this.metrics)) await this.flush(entries, true);
      this.stopping = true; // read what is left without blocking, then stop
    }
    let phase: "pending" | "live" = "pending";
    let errors = 0;
    let prefetched: Promise<RawEntry[]> | undefined;
    while (!this.outOfTime && ready !== undefined) {
      try {
        if (Date.now() >= this.nextPurge && !this.stopping) {
          this.nextPurge = Date.now() + PURGE_INTERVAL_MS;
          await this.purgeTombstones();
        }
        if (Date.now() >= this.nextReclaim && !this.stopping) {
          this.nextReclaim = Date.now() + this.config.FLUSH_CLAIM_INTERVAL_MS;
          for await (const entries of reclaimed(this.group, this.config, this.metrics)) await this.flush(entries, true);
          await this.forgetGone();
        }
        const entries = prefetched ? await prefetched : await this.read(phase === "pending" ? "0" : ">");
        prefetched = undefined;
        const live = phase === "live" && !this.stopping;
        const full = entries.length >= this.config.FLUSH_BATCH || this.bytesOf(entries) >= this.config.FLUSH_BATCH_BYTES;
        if (live && full) {
          // A backlog: read the next batch while this one is written, so Redis and Postgres
          // work at the same time. Non-blocking, so it never holds up this connection's acks.
          prefetched = this.read(">", false);
          prefetched.catch(() => {}); // handled when awaited; never an unhandled rejection
        }
        if (entries.length > 0) await this.flush(entries, phase === "pending");
        else if (phase === "pending") phase = "live";
        else if (this.stopping) break; // drained: nothing new, nothing of ours pending
        // No backlog: let writes gather before the next read. Fewer, larger transactions
        // cost Postgres and this thread far less per write and coalesce hot keys; a write
        // waits at most FLUSH_LINGER_MS longer to reach Postgres.
        if (live && !full && entries.length > 0 && this.config.FLUSH_LINGER_MS > 0) {
          await this.pause(this.config.FLUSH_LINGER_MS);
        }
        errors = 0;
      } catch (err) {
        if (prefetched) {
          // Whatever it read is pending on this consumer: re-read it from the pending list.
          await prefetched.catch(() => {});
          prefetched = undefined;
          phase = "pending";
        }
        errors++;
        if (redisErrorCode(err) === "NOGROUP") {
          // Redis lost the group (restart without persistence, FLUSHALL): recreate it and
          // read whatever the stream still holds. When that cannot work (say Redis is over
          // maxmemory), this backs off like any other error instead of spinning.
          log.warn("consumer group missing; recreating it", { consumer: this.consumer, attempt: errors });
          await this.group.ensure().catch((e) => log.warn("could not recreate the consumer group", errorFields(e)));
          phase = "pending";
        } else {
          log.warn("flusher loop error; backing off", { consumer: this.consumer, attempt: errors, ...errorFields(err) });
        }
        await this.pause(backoffMs(errors, this.config.FLUSH_RETRY_MAX_MS));
      }
      this.lastBeat = Date.now();
    }
    const drained = ready !== undefined && !this.outOfTime;
    // Stopped with nothing of its own pending: its consumer would only take up memory in every
    // stream until removed (the next start, on another host or port, may use another name).
    // Within the drain's deadline: this connection waits for Redis, and a stop must not.
    if (drained) {
      await this.untilExpired(this.group.forget(this.consumer, 0)).catch((e) => {
        if (!(e instanceof DrainExpired)) log.warn("could not remove this thread's consumer", errorFields(e));
      });
    }
    log.info("flusher stopped", { consumer: this.consumer, drained });
    return drained;
  }

  async close(): Promise<void> {
    // Each on its own: one failing must not keep the other open.
    await this.group.close();
    await this.store.close().catch(() => {});
  }

  /** Removes the consumers of instances that are gone, once their entries were claimed (forget.lua). */
  private async forgetGone(): Promise<void> {
    const removed = await this.group.forget("", FORGET_IDLE_MS);
    if (removed > 0) log.info("removed idle consumers with nothing pending", { count: removed, consumer: this.consumer });
  }

  /** Deletes tombstones older than TOMBSTONE_RETENTION_MS, in small statements, a bounded number per round. */
  private async purgeTombstones(): Promise<void> {
    let purged = 0;
    for (let i = 0; i < PURGE_MAX_BATCHES; i++) {
      const n = await this.store.purgeTombstones(this.config.TOMBSTONE_RETENTION_MS, PURGE_BATCH);
      purged += n;
      if (n < PURGE_BATCH) break;
    }
    if (purged > 0) {
      this.metrics.inc("writeback_tombstones_purged_total", undefined, purged);
      log.info("tombstones purged", { count: purged, consumer: this.consumer });
    }
  }

  private bytesOf(entries: RawEntry[]): number {
    let n = 0;
    for (const [, fields] of entries) n += entryBytes(fields);
    return n;
  }

  /** About the most bytes one Redis reply brings in (a stream read, a values.lua call): an eighth of a batch, so no reply is huge. */
  private get readMaxBytes(): number {
    return this.config.FLUSH_BATCH_BYTES / 8;
  }

  /** The current value and version in the cache hash of each key (sizes: what the entries declared), within readMaxBytes per call. */
  private cachedValues(keys: string[], sizes: number[]) {
    return this.group.values(keys, sizes, this.readMaxBytes);
  }

  /** How many entries one read may ask for: READ_CHUNK, fewer when entries are large. */
  private chunk(): number {
    const perRead = Math.floor(this.readMaxBytes / Math.max(1, this.entrySize));
    return Math.max(1, Math.min(READ_CHUNK, this.config.FLUSH_BATCH, perRead));
  }

  private async readOnce(from: "0" | ">", count: number, block: boolean): Promise<RawEntry[]> {
    const entries = await this.group.read(from, count, block ? this.config.FLUSH_BLOCK_MS : 0);
    // Sizes rise at once and fall by half per read: a burst of large values shrinks the next reads.
    let largest = 0;
    for (const [, fields] of entries) largest = Math.max(largest, entryBytes(fields));
    if (entries.length > 0) this.entrySize = Math.max(largest, this.entrySize / 2);
    return entries;
  }

  /**
   * Up to FLUSH_BATCH entries and about FLUSH_BATCH_BYTES. New entries are read in chunks
   * and gathered while more are waiting, so a backlog is flushed in large batches (fewer
   * commits, more coalescing) without one huge XREADGROUP stalling Redis for every writer
   * or filling this thread's memory. Only the first read blocks. This consumer's own pending
   * entries ("0") come back one chunk at a time.
   */
  private async read(from: "0" | ">", block = true): Promise<RawEntry[]> {
    const first = await this.readOnce(from, this.chunk(), block && from === ">" && !this.stopping);
    if (from === "0") return first;
    let all = first;
    let bytes = this.bytesOf(first);
    let last = first;
    while (last.length > 0 && all.length < this.config.FLUSH_BATCH && bytes < this.config.FLUSH_BATCH_BYTES) {
      const count = Math.min(this.chunk(), this.config.FLUSH_BATCH - all.length);
      last = await this.readOnce(">", count, false);
      all = all.concat(last);
      bytes += this.bytesOf(last);
      // A short read may still leave entries: each partition gets only its share of `count`.
    }
    return all;
  }

  /**
   * Persists a batch, retrying transient failures, then acknowledges it. Entries delivered
   * before (a previous life's pending ones, reclaimed ones) that have been delivered more than
   * FLUSH_MAX_DELIVERIES times are dead-lettered instead: they are what crashed us each time.
   */
  async flush(batch: RawEntry[], redelivered = false): Promise<void> {
    this.busySince ||= Date.now();
    try {
      await this.flushOnce(batch, redelivered);
    } finally {
      this.busySince = 0;
      this.lastError = "";
    }
  }

  private async flushOnce(batch: RawEntry[], redelivered: boolean): Promise<void> {
    let entries = batch;
    const dead: DeadLetter[] = [];
    if (redelivered) {
      const counts = await this.group.deliveryCounts(batch.map(([id]) => id));
      const max = this.config.FLUSH_MAX_DELIVERIES;
      entries = [];
      for (const e of batch) {
        const n = counts.get(e[0]) ?? 0;
        if (n > max) dead.push({ id: e[0], fields: e[1], reason: "too many deliveries", error: `delivered ${n} times` });
        else entries.push(e);
      }
    }
    const coalesced = coalesce(entries);
    const { ids, poison } = coalesced;
    let committed: EntryRow[] = [];
    for (const p of poison) dead.push({ id: p.id, fields: p.fields, reason: p.reason });
    const resolved = await this.retrying("values", () => this.withValues(coalesced.rows, dead));
    if (!resolved) return; // out of time while draining: nothing acknowledged
    const rows = resolved;
    if (rows.length > 0) {
      const result = await this.retrying("flush", () => {
        crashPoint("before-write");
        return persist(this.store, rows, this.config.FLUSH_BATCH_BYTES);
      });
      if (!result) return; // out of time while draining: the entries stay pending for the next start
      crashPoint("after-commit");
      this.observePersistLag(ids);
      for (const { row, error } of result.failed) {
        dead.push({
          id: row.id,
          fields: encodeEntry(row.key, row.value, row.version),
          reason: "rejected by the database",
          error: `${this.store.errorCode(error) ?? ""} ${(error as Error).message ?? error}`.trim(),
        });
      }
      const failed = new Set(result.failed.map((f) => f.row));
      committed = rows.filter((r) => !failed.has(r));
      this.onCommitted?.(committed);
      if (result.splits > 0) log.warn("statements too slow or too large were split", { splits: result.splits });
      this.metrics.inc("writeback_flushed_rows_total", undefined, result.written + result.skipped);
      this.metrics.inc("writeback_guard_skipped_rows_total", undefined, result.skipped);
      this.metrics.inc("writeback_batches_total");
      this.metrics.observe("writeback_batch_entries", entries.length);
    }
    if (dead.length > 0) {
      const letters = await this.retrying("dead-letter values", () => this.lettersWithValues(dead));
      if (!letters) return;
      dead.splice(0, dead.length, ...letters);
      // Written and acknowledged in one step; if that cannot happen before a drain's
      // deadline, nothing of this batch is acknowledged: it is all read again next start.
      const moved = await this.retrying("dead-letter", async () => {
        await this.group.dead(dead);
        return true;
      });
      if (!moved) return;
      for (const d of dead) this.metrics.inc("writeback_dead_letters_total", { reason: d.reason });
      log.warn("entries dead-lettered", { count: dead.length, reasons: [...new Set(dead.map((d) => d.reason))] });
    }
    // The dead letters' ids too: already acknowledged, but the ack also trims past them.
    const all = [...new Set([...ids, ...dead.map((d) => d.id)])];
    const acked = await this.retrying("ack", async () => {
      // Committed keys become clean: their cache entries get CACHE_TTL_MS in the same step.
      await this.group.ack(all, committed, this.config.CACHE_TTL_MS);
      return true;
    });
    if (!acked) return; // out of time while draining: persisted, and replayed harmlessly next start
    crashPoint("after-ack");
    this.metrics.inc("writeback_flushed_entries_total", undefined, ids.length);
  }

  /**
   * Completes the rows whose value is in the cache hash (the entries of writes carry none):
   * each gets the hash's current value and version, which is at least the entry's (the hash
   * keeps a dirty value until a version at least as new is persisted, ack.lua), so the guard and
   * coalescing hold as if the entry had carried it. A hash that is gone or older means the
   * entry was persisted before its cache entry expired or was evicted: the database is asked,
   * and if it does not hold the entry's version, the write is lost (only an allkeys-* eviction
   * policy or a hand-deleted key can do that): it becomes a dead letter naming the key, with
   * no value to re-drive. The caller's `dead` gains those; the rows to persist are returned.
   */
  private async withValues(rows: EntryRow[], dead: DeadLetter[]): Promise<EntryRow[]> {
    const need = rows.filter((r) => r.inCache);
    if (need.length === 0) return rows;
    const found = await this.cachedValues(
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
    const persisted = await this.store.versions(missing.map((r) => r.key));
    for (const r of missing) {
      if ((persisted.get(r.key) ?? -1) >= r.version) continue; // persisted already; acknowledged with the rest
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
  private async lettersWithValues(letters: DeadLetter[]): Promise<DeadLetter[]> {
    const need = letters
      .map((d, i) => ({ i, e: d.fields ? readEntry(d.fields) : undefined }))
      .filter((x) => x.e?.inCache && x.e.key !== undefined && x.e.version !== undefined);
    if (need.length === 0) return letters;
    const found = await this.cachedValues(
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

  private observePersistLag(ids: string[]): void {
    const now = Date.now();
    for (const id of ids) this.metrics.observe("writeback_persist_lag_seconds", Math.max(0, now - idTimeMs(id)) / 1000);
  }

  /** Runs `work` until it succeeds; gives up (undefined) only when a drain runs out of time. */
  private async retrying<T>(step: string, work: () => Promise<T>): Promise<T | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        // A step still running at the drain's deadline (a driver waiting to reconnect, a
        // query on a silent connection) is abandoned: nothing it did is acknowledged, and
        // whatever it may still finish is replayed harmlessly next start.
        return await this.untilExpired(work());
      } catch (err) {
        if (err instanceof DrainExpired) return undefined;
        if (err instanceof FatalError) throw err;
        // The client's deadline passed: its connection went silent. A new client, rather
        // than a query queued behind the silent one.
        if (err instanceof DeadlineError) this.store.reset();
        this.metrics.inc("writeback_flush_retries_total", { step });
        this.lastError = `${step}: ${(err as { code?: string }).code ?? ""} ${(err as Error).message ?? err}`.trim();
        log.warn("flusher step failed; retrying", { step, attempt, consumer: this.consumer, ...errorFields(err) });
        this.lastBeat = Date.now(); // retrying is alive; /health judges progress by busySince
        if (this.outOfTime) return undefined;
        await this.pause(backoffMs(attempt, this.config.FLUSH_RETRY_MAX_MS));
        if (this.outOfTime) return undefined;
      }
    }
  }
}
