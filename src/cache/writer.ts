// The write path to Redis. Writes that arrive during one event-loop turn go to Redis as one
// call of the write script: per write, Redis skips a script invocation and the client skips
// a command (encoding, timer, promise), which is most of what a write costs (bench/README.md).
// Each write still gets its own version and its own answer; a refused or failed call fails
// every write in it, and none of them is applied.
//
// Each call has its own deadline, REDIS_COMMAND_TIMEOUT_MS from when it is handed to the
// client: ioredis runs one auto-pipeline at a time per connection, so a call made while an
// earlier one hangs (Redis paused or stalled) would otherwise wait out that one's timeout and
// then its own, answering in twice the promised time.
import type { Config } from "../config";
import type { Keys } from "../keys";
import { log } from "../log";
import { CacheTimeoutError, fromScriptError } from "./errors";
import type { WritebackRedis } from "./redis";
import { replicated, waitAllowanceMs } from "./replicas";

// A call stays small enough that Redis never runs one script for long.
const MAX_WRITES = 256;
const MAX_BYTES = 1024 * 1024;
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

/** The arguments of one set.lua call: key count, stream, cache hashes, limits, op/key/value triples. */
export function setScriptArgs(k: Keys, writes: Write[], maxBacklog: number, maxLagMs: number): (string | number)[] {
  const args: (string | number)[] = [1 + writes.length, k.stream];
  for (const w of writes) args.push(k.cache(w.key));
  args.push(maxBacklog, maxLagMs);
  for (const w of writes) args.push(w.op, w.key, w.value);
  return args;
}

export class Writer {
  private queue: Pending[] = [];
  private bytes = 0;
  private scheduled = false;
  private stalled = 0;
  private lastStallLog = 0;

  constructor(
    private redis: WritebackRedis,
    private k: Keys,
    private config: Pick<Config, "MAX_BACKLOG" | "MAX_LAG_MS" | "REDIS_COMMAND_TIMEOUT_MS" | "REDIS_WAIT_REPLICAS" | "REDIS_WAIT_TIMEOUT_MS">,
  ) {}

  /** Applies one write; resolves with its version once Redis has it. Rejects with BackpressureError, CacheTimeoutError or the client's error. */
  write(op: Write["op"], key: string, value: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.queue.push({ op, key, value, resolve, reject });
      this.bytes += key.length + value.length;
      if (this.queue.length >= MAX_WRITES || this.bytes >= MAX_BYTES) this.send();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.send();
        });
      }
    });
  }

  /**
   * Applies several writes as one script call, all or none (POST /mset, /mdel); resolves
   * with their versions in order. Not merged with other requests' writes.
   */
  writeAll(writes: Write[]): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const versions: string[] = [];
      let left = writes.length;
      this.call(
        writes.map((w, i) => ({
          ...w,
          resolve: (v: string) => {
            versions[i] = v;
            if (--left === 0) resolve(versions);
          },
          reject,
        })),
      );
    });
  }

  private send(): void {
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    this.bytes = 0;
    this.call(batch);
  }

  /** One set.lua call for `batch` (and WAIT, with REDIS_WAIT_REPLICAS), answered within REDIS_COMMAND_TIMEOUT_MS (plus REDIS_WAIT_TIMEOUT_MS). */
  private call(batch: Pending[]): void {
    const args = setScriptArgs(this.k, batch, this.config.MAX_BACKLOG, this.config.MAX_LAG_MS);
    let settled = false;
    const { REDIS_WAIT_REPLICAS: replicas, REDIS_WAIT_TIMEOUT_MS: waitMs } = this.config;
    const ms = this.config.REDIS_COMMAND_TIMEOUT_MS + waitAllowanceMs(this.config);
    const timer = setTimeout(() => {
      settled = true;
      this.noteStall(batch.length, ms);
      const err = new CacheTimeoutError(ms);
      for (const w of batch) w.reject(err);
    }, ms);
    replicated(this.redis, this.redis.wbSet(...args), replicas, waitMs).then(
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
