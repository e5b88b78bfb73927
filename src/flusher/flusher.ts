// One flusher thread's loop. It consumes the partitions it owns (ownership.ts) from their
// committed cursors, persists batches (pipeline.ts) and only then commits them (commit.lua):
// an entry leaves its stream only into the database or into the dead letters.
//
// Reading (reader.ts), persisting (pipeline.ts), which partitions it owns (ownership.ts),
// retries and stops (retry.ts, stop.ts) and upkeep between batches (upkeep.ts) are their own
// modules; this one is the order they run in.
//
// States: setup (schema, owner of the database) -> joined (a member; claims the partitions
// assigned to it) -> live (blocking reads from the cursors, batches gathered, flushed and
// committed; a partition whose owners crashed too often is flushed one entry at a time) ->
// draining (on stop: non-blocking reads until its partitions are empty or the grace period
// ends) -> stopped (its leases given back and its membership left, so others take over at once).
// Every wait ends early when a drain starts and never outlasts its deadline (stop.ts).
import type { Config } from "../config";
import type { DeadLetter } from "../cache/dead";
import { compareIds } from "../cache/ids";
import type { Claimant, PartitionCommit, PartitionLog } from "../cache/partitions";
import { deadline } from "../deadline";
import { FatalError } from "../fatal";
import { splitId } from "../keys";
import { errorFields, log } from "../log";
import type { Registry } from "../metrics";
import type { Store } from "../store/store";
import { backoffMs } from "./backoff";
import type { EntryRow } from "./coalesce";
import { crashPoint } from "../crash";
import { Ownership, type Owned } from "./ownership";
import { persistBatch } from "./pipeline";
import { BatchReader, type Batch } from "./reader";
import { describeFailure, logFailure, retrying } from "./retry";
import { DrainExpired, Stop } from "./stop";
import { Upkeep } from "./upkeep";

export interface FlusherOptions {
  /** refuse to run when the database belongs to another KEY_PREFIX (the process does; tests that share a database do not) */
  claimOwner?: boolean;
  /** drain the log once and stop, owning every partition (the one-stream upgrade, src/legacy/drain.ts) */
  upgrade?: boolean;
}

/** The database is another deployment's: flushing into it would overwrite its rows. */
export class OwnerConflictError extends FatalError {
  constructor(message: string) {
    super("OWNER_CONFLICT", message);
  }
}

export class Flusher {
  private stop = new Stop();
  private own: Ownership;
  private upkeep: Upkeep;
  private reader: BatchReader;
  /** time of the last loop turn that finished: the liveness heartbeat */
  lastBeat = Date.now();
  /** when the batch being flushed was first tried (0: none): progress, as /health sees it */
  busySince = 0;
  /** the last error of the batch being flushed, for /health */
  lastError = "";
  /** called with the rows of each commit (keys at their versions), before the stream learns of it */
  onCommitted?: (rows: EntryRow[]) => void;

  /** the consumer this thread is: `<CONSUMER_NAME>-<thread>` */
  readonly consumer: string;

  constructor(
    private config: Config,
    private log: PartitionLog,
    private store: Store,
    private metrics: Registry,
    who: Claimant,
    private options: FlusherOptions = {},
  ) {
    this.consumer = who.consumer;
    this.own = new Ownership(
      log,
      who,
      {
        ttlMs: config.FLUSH_CLAIM_IDLE_MS,
        renewMs: Math.min(config.FLUSH_CLAIM_INTERVAL_MS, Math.floor(config.FLUSH_CLAIM_IDLE_MS / 3)),
        maxTries: config.FLUSH_MAX_DELIVERIES,
        all: options.upgrade,
      },
      metrics,
    );
    this.upkeep = new Upkeep(store, config, metrics, who.consumer);
    this.reader = new BatchReader(config, log, this.own);
  }

  /** Replaces the database client after it threw from one of its own callbacks: its state is not to be trusted. */
  resetDb(): void {
    this.store.reset();
  }

  /** Ask the loop to finish what its partitions hold within `graceMs`, then return. */
  drain(graceMs: number): void {
    this.stop.drain(graceMs);
  }

  /** Runs until stopped; resolves true when it stopped drained (nothing it read left uncommitted). */
  async run(): Promise<boolean> {
    const ready = await this.retrying("setup", async () => {
      await this.store.migrate();
      if (this.options.claimOwner) await this.checkOwner();
      await this.own.start();
      await this.own.settle();
      return true;
    });
    if (this.options.upgrade) this.stop.drain(); // read what is there without blocking, then stop
    let errors = 0;
    let prefetched: Promise<Batch> | undefined;
    while (ready && !this.stop.outOfTime) {
      const stopping = this.stop.stopping.aborted;
      try {
        // Also with a batch read ahead: under a steady backlog every turn has one, and a thread
        // that settled only without one would keep every partition it first claimed, leaving
        // the threads that joined later idle (a release it makes now only costs that batch's
        // entries of the partition a second read, by their new owner).
        if (!stopping) await this.upkeep.run(this.own);
        for (const o of this.own.alone()) await this.flushAlone(o);
        const batch = await (prefetched ?? this.reader.read(!stopping));
        prefetched = undefined;
        const full = this.reader.full(batch);
        if (!stopping && full) {
          // A backlog: read the next batch while this one is written, so Redis and the
          // database work at the same time. Non-blocking, so it never holds up this connection.
          prefetched = this.reader.read(false);
          prefetched.catch(() => {}); // handled when awaited; never an unhandled rejection
        }
        if (batch.entries.length > 0) await this.flush(batch);
        else if (stopping && this.own.alone().length === 0) {
          // Its partitions are empty. Before it says it stopped drained, the partitions nobody
          // holds (one between owners when the drain began) are drained too.
          if (!(await this.own.sweep())) break;
        }
        else if (this.own.owned.size === 0) await this.stop.wait(this.config.FLUSH_BLOCK_MS); // none owned yet
        // No backlog: let writes gather before the next read. Fewer, larger transactions
        // cost the database and this thread far less per write and coalesce hot keys.
        if (!stopping && !full && batch.entries.length > 0) await this.stop.wait(this.config.FLUSH_LINGER_MS);
        errors = 0;
      } catch (err) {
        if (err instanceof FatalError) throw err;
        await prefetched?.catch(() => {});
        prefetched = undefined;
        this.own.rewind(); // whatever was read and not committed is read again
        log.warn("flusher loop error; backing off", { consumer: this.consumer, attempt: ++errors, ...errorFields(err) });
        await this.stop.wait(backoffMs(errors, this.config.FLUSH_RETRY_MAX_MS));
      }
      this.lastBeat = Date.now();
    }
    const drained = ready !== undefined && !this.stop.outOfTime;
    // Give the partitions back either way: their next owner reads from the cursor at once
    // rather than after the leases lapse. Bounded: this connection waits for Redis, a stop must not.
    const giveBack = deadline(this.own.stop(), drained ? Math.max(500, this.stop.leftMs) : 500, () => new DrainExpired());
    await giveBack.catch((e) => {
      this.own.abandon();
      if (!(e instanceof DrainExpired)) log.warn("could not give this thread's partitions back", errorFields(e));
    });
    this.stop.dispose();
    log.info("flusher stopped", { consumer: this.consumer, drained });
    return drained;
  }

  async close(): Promise<void> {
    // Each on its own: one failing must not keep the other open.
    await this.log.close().catch(() => {});
    await this.store.close().catch(() => {});
  }

  private async checkOwner(): Promise<void> {
    const owner = await this.store.claimOwner(this.config.KEY_PREFIX);
    if (owner !== this.config.KEY_PREFIX) {
      throw new OwnerConflictError(
        `the database's table belongs to the deployment with KEY_PREFIX=${JSON.stringify(owner)}, not ${JSON.stringify(this.config.KEY_PREFIX)}: give each deployment its own database (DATABASE_URL) or use the same KEY_PREFIX`,
      );
    }
  }

  /** Persists a batch, then commits it (dead letters, cursors, trims), then gives the committed keys their TTL. */
  private async flush(batch: Batch, o: { keepTries?: boolean; giveUp?: Map<string, string> } = {}): Promise<void> {
    this.busySince ||= Date.now();
    try {
      const out = await persistBatch(
        batch.entries,
        {
          store: this.store,
          values: (keys, sizes) => this.log.values(keys, sizes, this.reader.readMaxBytes),
          metrics: this.metrics,
          maxStatementBytes: this.config.FLUSH_BATCH_BYTES,
          retrying: (step, work) => this.retrying(step, work),
          onCommitted: this.onCommitted,
          alive: () => (this.lastBeat = Date.now()),
        },
        o.giveUp,
      );
      if (!out) return; // out of time while draining: nothing committed, read again by the next owner
      const deadOf = Map.groupBy(out.dead, (d) => splitId(d.id).p);
      const parts: PartitionCommit[] = [...batch.parts].map(([p, { token, upTo }]) => ({ p, token, upTo, keepTries: o.keepTries, dead: deadOf.get(p) ?? [] }));
      const lost = await this.retrying("commit", () => this.log.commit(parts));
      if (!lost) return;
      this.own.lose(lost);
      for (const part of parts) if (!lost.includes(part.p)) this.own.committed(part.p, splitId(part.upTo!).id);
      this.reportDead(out.dead.filter((d) => !lost.includes(splitId(d.id).p)));
      this.metrics.inc("writeback_flushed_entries_total", undefined, out.entries);
      // Committed keys become clean: their cache entries get CACHE_TTL_MS (clean.lua). Not
      // those of a partition whose lease was lost: its new owner reads the batch again and
      // cleans it after its own commit, when it knows what its stream still holds (a newer
      // write of the key it dead-lettered, say, must not expire).
      const clean = lost.length === 0 ? out.committed : out.committed.filter((r) => !lost.includes(splitId(r.id).p));
      if (this.config.CACHE_TTL_MS > 0 && clean.length > 0) {
        if (!(await this.retrying("clean", () => this.log.clean(clean, this.config.CACHE_TTL_MS).then(() => true)))) return;
      }
      crashPoint("after-ack");
    } finally {
      this.busySince = 0;
      this.lastError = "";
    }
  }

  /**
   * One entry of a partition whose owners crashed too often (claim.lua's tries): the next one
   * after the cursor is named the suspect and flushed alone; if it is the one named when an
   * owner last crashed, it is dead-lettered without being flushed. Past `reach` (the last entry
   * an earlier owner can have read) the partition goes back to batches.
   */
  private async flushAlone(o: Owned): Promise<void> {
    const alone = o.alone!;
    const [entry] = await this.log.read(new Map([[o.p, o.committed]]), 1, 0);
    const id = entry && splitId(entry[0]).id;
    if (!entry || compareIds(id!, alone.reach) > 0) {
      const lost = await this.retrying("commit", () => this.log.commit([{ p: o.p, token: o.token, dead: [] }]));
      if (lost && lost.length === 0) log.info("a partition's suspect entries are through; back to batches", { consumer: this.consumer, partition: o.p });
      if (lost && lost.length > 0) this.own.lose(lost);
      o.alone = undefined;
      o.next = o.committed;
      return;
    }
    const batch: Batch = { entries: [entry], parts: new Map([[o.p, { token: o.token, upTo: entry[0] }]]) };
    if (id === alone.suspect) {
      const why = `its flusher crashed while writing it, more than FLUSH_MAX_DELIVERIES=${this.config.FLUSH_MAX_DELIVERIES} times`;
      return this.flush(batch, { keepTries: true, giveUp: new Map([[entry[0], why]]) });
    }
    if (!(await this.retrying("suspect", () => this.log.suspect(o, entry[0])))) return;
    alone.suspect = id!;
    await this.flush(batch, { keepTries: true });
  }

  private reportDead(dead: DeadLetter[]): void {
    if (dead.length === 0) return;
    for (const d of dead) this.metrics.inc("writeback_dead_letters_total", { reason: d.reason });
    log.warn("entries dead-lettered", { count: dead.length, reasons: [...new Set(dead.map((d) => d.reason))] });
  }

  /** Runs `work` until it succeeds; undefined only when a drain runs out of time (retry.ts). */
  private retrying<T>(step: string, work: () => Promise<T>): Promise<T | undefined> {
    return retrying(step, work, {
      stop: this.stop,
      maxBackoffMs: this.config.FLUSH_RETRY_MAX_MS,
      failed: (s, attempt, err) => {
        this.metrics.inc("writeback_flush_retries_total", { step: s });
        this.lastError = describeFailure(s, err);
        logFailure(this.consumer, s, attempt, err);
        this.lastBeat = Date.now(); // retrying is alive; /health judges progress by busySince
      },
    });
  }
}
