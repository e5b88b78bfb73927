// The write path to Redis. Writes that arrive during one event-loop turn go to Redis as one
// call of the write script: per write, Redis skips a script invocation and the client skips
// a command (encoding, timer, promise), which is most of what a write costs (bench/README.md).
// Each write still gets its own version and its own answer; a refused or failed call fails
// every write in it, and none of them is applied.
import type { Config } from "../config";
import type { Keys } from "../keys";
import type { WritebackRedis } from "./redis";

// A call stays small enough that Redis never runs one script for long.
const MAX_WRITES = 256;
const MAX_BYTES = 1024 * 1024;

interface Pending {
  key: string;
  value: string;
  resolve: (version: string) => void;
  reject: (err: unknown) => void;
}

/** The arguments of one set.lua call: key count, stream, cache hashes, limits, key/value pairs. */
export function setScriptArgs(
  k: Keys,
  writes: { key: string; value: string }[],
  maxBacklog: number,
  maxLagMs: number,
): (string | number)[] {
  const args: (string | number)[] = [1 + writes.length, k.stream];
  for (const w of writes) args.push(k.cache(w.key));
  args.push(maxBacklog, maxLagMs);
  for (const w of writes) args.push(w.key, w.value);
  return args;
}

export class Writer {
  private queue: Pending[] = [];
  private bytes = 0;
  private scheduled = false;

  constructor(
    private redis: WritebackRedis,
    private k: Keys,
    private config: Pick<Config, "MAX_BACKLOG" | "MAX_LAG_MS">,
  ) {}

  /** Applies one write; resolves with its version once Redis has it. */
  write(key: string, value: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.queue.push({ key, value, resolve, reject });
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

  private send(): void {
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    this.bytes = 0;
    const args = setScriptArgs(this.k, batch, this.config.MAX_BACKLOG, this.config.MAX_LAG_MS);
    this.redis.wbSet(...args).then(
      (versions) => batch.forEach((w, i) => w.resolve(versions[i]!)),
      (err) => batch.forEach((w) => w.reject(err)),
    );
  }
}
