// One flusher: reads the write stream through the consumer group, persists batches, and only
// then acknowledges them. Invariant, enforced in flush(): an entry is acknowledged (and
// deleted) only after the transaction that persisted it has committed.
//
// States: setup (schema, group) -> pending (re-read this consumer's own unacknowledged
// entries from a previous life) -> live (new entries, blocking read) -> draining (on stop:
// non-blocking reads until the stream is empty or the grace period ends) -> stopped.
import type { Config } from "../config";
import { connect, redisErrorCode, type WritebackRedis } from "../cache/redis";
import type { Keys } from "../keys";
import { errorFields, log } from "../log";
import type { Registry } from "../metrics";
import { connectDb, migrate, type Db } from "../store/db";
import { backoffMs, sleep } from "./backoff";
import { ACK_CHUNK, READ_CHUNK } from "./chunks";
import { coalesce, type RawEntry } from "./coalesce";
import { deadLetter, type DeadLetter } from "./dead";
import { persist } from "./persist";
import { deliveryCounts, reclaim } from "./reclaim";

type StreamReply = [stream: string, entries: RawEntry[]][] | null;

export class Flusher {
  readonly consumer: string;
  private redis: WritebackRedis;
  private db: Db;
  private stopping = false;
  private drainDeadline = Infinity;
  private nextReclaim = 0;
  /** time of the last loop turn that finished: the liveness heartbeat */
  lastBeat = Date.now();

  constructor(
    private config: Config,
    private k: Keys,
    index: number,
    private metrics: Registry,
  ) {
    this.consumer = `${config.CONSUMER_NAME}-${index}`;
    this.redis = connect(config.REDIS_URL, "flusher", config.REDIS_COMMAND_TIMEOUT_MS);
    this.db = connectDb({
      url: config.DATABASE_URL,
      max: 1,
      statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
      lockTimeoutMs: config.DB_LOCK_TIMEOUT_MS,
    });
  }

  /** Ask the loop to finish what is in the stream within `graceMs`, then return. */
  drain(graceMs: number): void {
    this.stopping = true;
    this.drainDeadline = Date.now() + graceMs;
  }

  private get outOfTime(): boolean {
    return this.stopping && Date.now() >= this.drainDeadline;
  }

  async run(): Promise<void> {
    await this.retrying("setup", async () => {
      await migrate(this.db);
      await this.ensureGroup();
    });
    let phase: "pending" | "live" = "pending";
    let errors = 0;
    let prefetched: Promise<RawEntry[]> | undefined;
    while (!this.outOfTime) {
      try {
        if (Date.now() >= this.nextReclaim && !this.stopping) {
          this.nextReclaim = Date.now() + this.config.FLUSH_CLAIM_INTERVAL_MS;
          await reclaim(this.redis, this.k, this.consumer, this.config, this.metrics, (e) => this.flush(e, true));
        }
        const entries = prefetched ? await prefetched : await this.read(phase === "pending" ? "0" : ">");
        prefetched = undefined;
        const live = phase === "live" && !this.stopping;
        const full = entries.length >= this.config.FLUSH_BATCH;
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
          await sleep(this.config.FLUSH_LINGER_MS);
        }
        errors = 0;
      } catch (err) {
        if (prefetched) {
          // Whatever it read is pending on this consumer: re-read it from the pending list.
          await prefetched.catch(() => {});
          prefetched = undefined;
          phase = "pending";
        }
        if (redisErrorCode(err) === "NOGROUP") {
          // Redis lost the group (restart without persistence, FLUSHALL): recreate it and
          // read whatever the stream still holds.
          log.warn("consumer group missing; recreating it", { consumer: this.consumer });
          await this.ensureGroup().catch(() => {});
          phase = "pending";
          continue;
        }
        errors++;
        log.warn("flusher loop error; backing off", { consumer: this.consumer, attempt: errors, ...errorFields(err) });
        await sleep(backoffMs(errors, this.config.FLUSH_RETRY_MAX_MS));
      }
      this.lastBeat = Date.now();
    }
    log.info("flusher stopped", { consumer: this.consumer, drained: !this.outOfTime });
  }

  async close(): Promise<void> {
    for (const step of [() => this.redis.quit(), () => this.db.end({ timeout: 1 })]) {
      try {
        await step();
      } catch {
        this.redis.disconnect();
      }
    }
  }

  private async ensureGroup(): Promise<void> {
    try {
      // From id 0: after a loss of the group, every entry still in the stream is unpersisted.
      await this.redis.xgroup("CREATE", this.k.stream, this.k.group, "0", "MKSTREAM");
    } catch (err) {
      if (redisErrorCode(err) !== "BUSYGROUP") throw err;
    }
  }

  /**
   * Up to FLUSH_BATCH entries. New entries are read in chunks of READ_CHUNK and gathered
   * while more are waiting, so a backlog is flushed in large batches (fewer commits, more
   * coalescing) without one huge XREADGROUP stalling Redis for every writer. Only the first
   * read blocks. This consumer's own pending entries ("0") come back one chunk at a time.
   */
  private async read(from: "0" | ">", block = true): Promise<RawEntry[]> {
    const chunk = Math.min(READ_CHUNK, this.config.FLUSH_BATCH);
    const first = await this.readOnce(from, chunk, block && from === ">" && !this.stopping);
    if (from === "0") return first;
    let all = first;
    let last = first;
    while (last.length === chunk && all.length < this.config.FLUSH_BATCH) {
      last = await this.readOnce(">", Math.min(chunk, this.config.FLUSH_BATCH - all.length), false);
      all = all.concat(last);
    }
    return all;
  }

  private async readOnce(from: "0" | ">", count: number, block: boolean): Promise<RawEntry[]> {
    const args: (string | number)[] = ["GROUP", this.k.group, this.consumer, "COUNT", count];
    if (block) args.push("BLOCK", this.config.FLUSH_BLOCK_MS);
    args.push("STREAMS", this.k.stream, from);
    const reply = (await this.redis.call("XREADGROUP", ...args)) as StreamReply;
    return reply?.[0]?.[1] ?? [];
  }

  /**
   * Persists a batch, retrying transient failures, then acknowledges it. Entries delivered
   * before (a previous life's pending ones, reclaimed ones) that have been delivered more than
   * FLUSH_MAX_DELIVERIES times are dead-lettered instead: they are what crashed us each time.
   */
  async flush(batch: RawEntry[], redelivered = false): Promise<void> {
    let entries = batch;
    const dead: DeadLetter[] = [];
    if (redelivered) {
      const counts = await deliveryCounts(this.redis, this.k, this.consumer, batch.map(([id]) => id));
      const max = this.config.FLUSH_MAX_DELIVERIES;
      entries = [];
      for (const e of batch) {
        const n = counts.get(e[0]) ?? 0;
        if (n > max) dead.push({ id: e[0], fields: e[1], reason: "too many deliveries", error: `delivered ${n} times` });
        else entries.push(e);
      }
    }
    const { rows, ids, poison } = coalesce(entries);
    for (const p of poison) dead.push({ id: p.id, fields: p.fields, reason: p.reason });
    if (rows.length > 0) {
      const result = await this.retrying("flush", () => {
        crashPoint(this.config, "before-write");
        return persist(this.db, rows, this.config.DB_STATEMENT_TIMEOUT_MS);
      });
      if (!result) return; // out of time while draining: the entries stay pending for the next start
      crashPoint(this.config, "after-commit");
      this.observePersistLag(ids);
      for (const { row, error } of result.failed) {
        dead.push({
          id: row.id,
          fields: ["k", row.key, "v", row.value, "ver", String(row.version)],
          reason: "rejected by Postgres",
          error: `${(error as { code?: string }).code ?? ""} ${(error as Error).message ?? error}`.trim(),
        });
      }
      this.metrics.inc("writeback_flushed_rows_total", undefined, result.written + result.skipped);
      this.metrics.inc("writeback_guard_skipped_rows_total", undefined, result.skipped);
      this.metrics.inc("writeback_batches_total");
      this.metrics.observe("writeback_batch_entries", entries.length);
    }
    if (dead.length > 0) {
      await this.retrying("dead-letter", () => deadLetter(this.redis, this.k, dead));
      for (const d of dead) this.metrics.inc("writeback_dead_letters_total", { reason: d.reason });
      log.warn("entries dead-lettered", { count: dead.length, reasons: [...new Set(dead.map((d) => d.reason))] });
    }
    const all = [...new Set([...ids, ...dead.map((d) => d.id)])];
    await this.retrying("ack", () => this.ack(all));
    crashPoint(this.config, "after-ack");
    this.metrics.inc("writeback_flushed_entries_total", undefined, ids.length);
  }

  /** A stream id starts with the Redis time in ms at which the write was acknowledged. */
  private observePersistLag(ids: string[]): void {
    const now = Date.now();
    for (const id of ids) {
      const ms = Number(id.slice(0, id.indexOf("-")));
      this.metrics.observe("writeback_persist_lag_seconds", Math.max(0, now - ms) / 1000);
    }
  }

  private async ack(ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += ACK_CHUNK) {
      await this.redis.wbAck(this.k.stream, this.k.group, ...ids.slice(i, i + ACK_CHUNK));
    }
  }

  /** Runs `work` until it succeeds; gives up (undefined) only when a drain runs out of time. */
  private async retrying<T>(step: string, work: () => Promise<T>): Promise<T | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (err) {
        this.metrics.inc("writeback_flush_retries_total", { step });
        log.warn("flusher step failed; retrying", { step, attempt, consumer: this.consumer, ...errorFields(err) });
        this.lastBeat = Date.now(); // retrying is alive, not stuck
        if (this.outOfTime) return undefined;
        await sleep(Math.min(backoffMs(attempt, this.config.FLUSH_RETRY_MAX_MS), this.drainDeadline - Date.now()));
        if (this.outOfTime) return undefined;
      }
    }
  }
}

let threwOnce = false;

/**
 * Test hook (CRASH_POINT): at the named step, kill the whole process as a crash would; or,
 * for "thread-throw", let an error escape the thread once per thread life, after the ack.
 */
function crashPoint(config: Config, point: string): void {
  if (config.CRASH_POINT === "thread-throw" && point === "after-ack" && !threwOnce) {
    threwOnce = true;
    setTimeout(() => {
      throw new Error("injected flusher thread failure (CRASH_POINT=thread-throw)");
    });
  }
  if (config.CRASH_POINT === point) {
    log.error("crash point reached; killing the process", { point });
    process.kill(process.pid, "SIGKILL");
  }
}
