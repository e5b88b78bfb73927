// The write path to Redis. Writes that arrive during one event-loop turn go to Redis as one
// call of the write script: per write, Redis skips a script invocation and the client skips
// a command (encoding, timer, promise), which is most of what a write costs (bench/README.md).
// Each write still gets its own version and its own answer; a refused or failed call fails
// every write in it, and none of them is applied.
//
// On a Redis Cluster a call holds the writes of one partition (their keys share a slot,
// keys.ts), so one turn makes a call per partition touched; on one Redis, one call for all.
//
// Each call has its own deadline, REDIS_COMMAND_TIMEOUT_MS from when it is handed to the
// client: ioredis runs one auto-pipeline at a time per connection, so a call made while an
// earlier one hangs (Redis paused or stalled) would otherwise wait out that one's timeout and
// then its own, answering in twice the promised time.
import type { Config } from "../config";
import { WRITE_CALL_MAX_BYTES, WRITE_CALL_MAX_WRITES } from "../tuning";
import type { Keys } from "../keys";
import { log } from "../log";
import { CacheTimeoutError, fromScriptError } from "./errors";
import type { WritebackRedis } from "./redis";
import { isCluster } from "./redis";
import { replicatedCall, waitAllowanceMs } from "./replicas";

// A call stays small enough that Redis never runs one script for long (src/tuning.ts); its
// bytes are UTF-8 bytes of keys and values, what Redis receives (string.length would count
// UTF-16 units, a third of "€"'s bytes).
const MAX_WRITES = WRITE_CALL_MAX_WRITES;
const MAX_BYTES = WRITE_CALL_MAX_BYTES;
const STALL_LOG_INTERVAL_MS = 5000;

/** A write to the cache: a set (op "s") or a delete (op "d", value ""). */
export interface Write {
  op: "s" | "d";
  key: string;
  value: string;
}

interface Pending extends Write {
  resolve: (version: string) => void;
  reject: (err: unknown) => void;
}

/** One partition's share of MAX_BACKLOG (0: no limit). */
export function backlogShare(c: Pick<Config, "MAX_BACKLOG">, k: Keys): number {
  return c.MAX_BACKLOG > 0 ? Math.ceil(c.MAX_BACKLOG / k.partitions) : 0;
}

/** The arguments of one set.lua call: key count, streams touched, cache hashes, counts and limits, op/key/value/stream of each write. */
export function setScriptArgs(k: Keys, writes: Write[], maxBacklog: number, maxLagMs: number): (string | number)[] {
  const streams: string[] = [];
  const index = new Map<number, number>();
  const at = writes.map((w) => {
    const p = k.partition(w.key);
    let i = index.get(p);
    if (i === undefined) {
      i = streams.push(k.stream(p));
      index.set(p, i);
    }
    return i;
  });
  const args: (string | number)[] = [streams.length + writes.length, ...streams];
  for (const w of writes) args.push(k.cache(w.key));
  args.push(streams.length, maxBacklog, maxLagMs);
  writes.forEach((w, i) => args.push(w.op, w.key, w.value, at[i]!));
  return args;
}

interface Queue {
  writes: Pending[];
  bytes: number;
}

export class Writer {
  /** writes waiting for the end of the turn, per script call they will make (keyed by partition on a Cluster, one key otherwise) */
  private queues = new Map<number, Queue>();
  private scheduled = false;
  private readonly perPartition: boolean;
  private stalled = 0;
  private lastStallLog = 0;

  constructor(
    private redis: WritebackRedis,
    private k: Keys,
    private config: Pick<Config, "MAX_BACKLOG" | "MAX_LAG_MS" | "REDIS_COMMAND_TIMEOUT_MS" | "REDIS_WAIT_REPLICAS" | "REDIS_WAIT_TIMEOUT_MS">,
  ) {
    this.perPartition = isCluster(redis);
  }

  /** Applies one write; resolves with its version once Redis has it. Rejects with BackpressureError, CacheTimeoutError or the client's error. */
  write(op: Write["op"], key: string, value: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const slot = this.slotOf(key);
      let q = this.queues.get(slot);
      if (!q) this.queues.set(slot, (q = { writes: [], bytes: 0 }));
      q.writes.push({ op, key, value, resolve, reject });
      q.bytes += Buffer.byteLength(key, "utf8") + Buffer.byteLength(value, "utf8");
      if (q.writes.length >= MAX_WRITES || q.bytes >= MAX_BYTES) this.send(slot);
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          for (const slot of [...this.queues.keys()]) this.send(slot);
        });
      }
    });
  }

  /**
   * Applies several writes as one script call, all or none (POST /mset, /mdel); resolves
   * with their versions in order. Not merged with other requests' writes. On a Cluster, one
   * call per partition: all or none per partition (the README says so).
   */
  writeAll(writes: Write[]): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const versions: string[] = [];
      let left = writes.length;
      const pending: Pending[] = writes.map((w, i) => ({
        ...w,
        resolve: (v: string) => {
          versions[i] = v;
          if (--left === 0) resolve(versions);
        },
        reject,
      }));
      for (const batch of Map.groupBy(pending, (w) => this.slotOf(w.key)).values()) this.call(batch);
    });
  }

  /** Which script call a write of `key` joins: its partition's on a Cluster, the one call otherwise. */
  private slotOf(key: string): number {
    return this.perPartition ? this.k.partition(key) : 0;
  }

  private send(slot: number): void {
    const q = this.queues.get(slot);
    if (!q) return;
    this.queues.delete(slot);
    if (q.writes.length > 0) this.call(q.writes);
  }

  /** One set.lua call for `batch` (and WAIT, with REDIS_WAIT_REPLICAS), answered within REDIS_COMMAND_TIMEOUT_MS (plus REDIS_WAIT_TIMEOUT_MS). */
  private call(batch: Pending[]): void {
    const args = setScriptArgs(this.k, batch, backlogShare(this.config, this.k), this.config.MAX_LAG_MS);
    let settled = false;
    const { REDIS_WAIT_REPLICAS: replicas, REDIS_WAIT_TIMEOUT_MS: waitMs } = this.config;
    const ms = this.config.REDIS_COMMAND_TIMEOUT_MS + waitAllowanceMs(this.config);
    const timer = setTimeout(() => {
      settled = true;
      this.noteStall(batch.length, ms);
      const err = new CacheTimeoutError(ms);
      for (const w of batch) w.reject(err);
    }, ms);
    replicatedCall(this.redis, "wbSet", args, replicas, waitMs).then(
      (versions) => {
        clearTimeout(timer);
        if (!settled) batch.forEach((w, i) => w.resolve(versions[i]!));
      },
      (err) => {
        clearTimeout(timer);
        if (settled) return;
        const e = fromScriptError(err);
        for (const w of batch) w.reject(e);
      },
    );
  }

  /** A stall is logged when it starts and then at most every few seconds, with a count. */
  private noteStall(writes: number, ms: number): void {
    this.stalled += writes;
    const now = Date.now();
    if (now - this.lastStallLog < STALL_LOG_INTERVAL_MS) return;
    log.warn("Redis did not answer writes within the command timeout; they were answered 503 and may still land", {
      timeoutMs: ms,
      writes: this.stalled,
    });
    this.lastStallLog = now;
    this.stalled = 0;
  }
}
