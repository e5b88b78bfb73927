// Records every acknowledged write and checks the database against it: for every key, the
// database must end on the highest acknowledged version (and its value).
import postgres from "postgres";
import { set, waitFor } from "../../src/testing/process";

export class Checker {
  readonly acked = new Map<string, { version: number; value: string }>();
  failures = 0;
  /** what each failure was (status and error code, or the exception), for the test's message */
  readonly failureReasons: string[] = [];
  attempts = 0;
  /** writes answered 200 (acked holds only the latest per key) */
  acknowledged = 0;
  /** the longest any one write took to answer, acknowledged or not */
  slowestMs = 0;

  /** `valueBytes` > 0: every value written is padded to that many bytes (a large value's stream entry does not carry it) */
  constructor(private valueBytes = 0) {}

  async write(base: string, key: string, value: string): Promise<number> {
    value = value.padEnd(this.valueBytes, ".");
    this.attempts++;
    const started = performance.now();
    let r: Response;
    try {
      r = await set(base, key, value).finally(() => {
        this.slowestMs = Math.max(this.slowestMs, performance.now() - started);
      });
    } catch (err) {
      this.failures++; // connection refused/reset: not acknowledged
      this.failureReasons.push(String(err));
      return 0;
    }
    if (r.status !== 200) {
      this.failures++;
      this.failureReasons.push(`${r.status} ${await r.text().catch(() => "")}`);
      return r.status;
    }
    const { version } = (await r.json()) as { version: number };
    this.acknowledged++;
    const prev = this.acked.get(key);
    if (!prev || version > prev.version) this.acked.set(key, { version, value });
    return 200;
  }

  /** Writes to `keys` distinct keys in a loop until `stop()` returns true. */
  async load(base: string, keys: number, stop: () => boolean, concurrency = 8): Promise<void> {
    let i = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (!stop()) {
          const n = i++;
          // Like a client honouring Retry-After (briefly): a refused write is not retried at once.
          if ((await this.write(base, `load:${n % keys}`, `v${n}`)) !== 200) await Bun.sleep(20);
        }
      }),
    );
  }

  /** Keys whose database row is missing or older than the highest acknowledged version. */
  async missing(dbUrl: string): Promise<string[]> {
    const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
    try {
      const rows = await sql.unsafe<{ key: string; value: string; version: string }[]>(
        "SELECT key, value, version::text FROM writeback_kv",
      );
      const db = new Map(rows.map((r) => [r.key, { value: r.value, version: Number(r.version) }]));
      const bad: string[] = [];
      for (const [key, want] of this.acked) {
        const got = db.get(key);
        if (!got || got.version < want.version || (got.version === want.version && got.value !== want.value)) bad.push(key);
      }
      return bad;
    } catch (err) {
      if ((err as { code?: string }).code === "42P01") return [...this.acked.keys()]; // no table yet
      throw err;
    } finally {
      await sql.end();
    }
  }

  /**
   * The keys `missing` returns once the service's streams are empty (`writeback_backlog_entries`
   * 0 on `base`): every entry still in Redis then reached the database, so what is missing
   * was lost for good. (Waiting for `missing` to stop changing was not enough: a flusher in
   * its backoff, up to FLUSH_RETRY_MAX_MS, persists nothing for seconds.)
   */
  async missingWhenDrained(dbUrl: string, base: string, ms = 60_000): Promise<string[]> {
    await waitFor(
      "the backlog persisted",
      async () => {
        const text = await fetch(`${base}/metrics`).then((r) => r.text(), () => "");
        return /^writeback_backlog_entries 0$/m.test(text);
      },
      ms,
    );
    return this.missing(dbUrl);
  }
}
