import { describe, expect, test } from "bun:test";
import { ConfigError, ConfigSchema, helpText, loadConfig, MAX_TOMBSTONE_RETENTION_MS, TIMER_MAX_MS } from "../src/config";
import { binary } from "../src/testing/binary";
import { freePort } from "../src/testing/services";

describe("config", () => {
  test("defaults", () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(8000);
    expect(c.REDIS_URL).toBe("redis://127.0.0.1:6379");
    expect(c.DATABASE_URL).toBe("postgres://postgres:postgres@127.0.0.1:5432/postgres");
    expect(c.FLUSH_WORKERS).toBe(2);
    expect(c.FLUSH_BATCH).toBe(25_000);
    expect(c.FLUSH_LINGER_MS).toBe(50);
    expect(c.MAX_KEY_BYTES).toBe(1024);
    expect(c.MAX_VALUE_BYTES).toBe(1024 * 1024);
  });

  test.each([
    ["PORT", "eighty"],
    ["PORT", "70000"],
    ["FLUSH_WORKERS", "0"],
    ["FLUSH_BATCH", "1.5"],
    ["REDIS_URL", "http://localhost"],
    ["DATABASE_URL", "oracle://x"],
    ["LOG_LEVEL", "loud"],
  ])("a bad %s is refused, naming the variable", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    try {
      loadConfig({ [name]: value });
    } catch (err) {
      expect((err as ConfigError).variable).toBe(name);
      expect((err as Error).message).toContain(name);
    }
  });

  test("--help lists every setting with its default", () => {
    const text = helpText();
    for (const name of ["PORT", "REDIS_URL", "DATABASE_URL", "FLUSH_WORKERS", "FLUSH_BATCH", "FLUSH_BLOCK_MS", "MAX_BACKLOG"]) {
      expect(text).toContain(name);
    }
  });

  test("the binary exits 2 and names a bad variable", async () => {
    const cases: [string, string][] = [
      ["FLUSH_BATCH", "lots"],
      ["TOMBSTONE_RETENTION_MS", "300000000000000"], // issue 23: accepted, then every purge failed
    ];
    for (const [name, value] of cases) {
      // Nowhere to connect to: if the setting were accepted, the process must not touch the
      // shared Redis or database. It is killed if it is still running after 20 s.
      const env = { ...process.env, PORT: String(await freePort()), REDIS_URL: "redis://127.0.0.1:1", DATABASE_URL: "postgres://postgres@127.0.0.1:1/none", [name]: value };
      const proc = Bun.spawn([await binary()], { env, stdout: "ignore", stderr: "pipe" });
      const timer = setTimeout(() => proc.kill(9), 20_000);
      const code = await proc.exited;
      clearTimeout(timer);
      expect([name, code]).toEqual([name, 2]);
      expect(await new Response(proc.stderr).text()).toContain(name);
    }
  }, 120_000); // the first test of a run to need the binary builds it
});

// Issue 23, item 11: every duration setting is bounded by what uses it. Each rule has a test.
describe("duration settings are bounded by what computes them", () => {
  const refused = (name: string, value: string) => {
    try {
      loadConfig({ [name]: value });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).variable;
    }
    return "accepted";
  };
  const props = ConfigSchema.properties as unknown as Record<string, { timer?: boolean; maximum: number }>;
  const durations = Object.keys(props).filter((n) => n.endsWith("_MS"));

  test("a JavaScript timer stops at 2^31 - 1 ms: a longer setTimeout fires at once", async () => {
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, TIMER_MAX_MS + 1));
    expect(performance.now() - started).toBeLessThan(5000);
  });

  test("every duration that becomes a timer (a pause, a backoff, a deadline) is refused above 2^31 - 1 ms, with what is derived from it", () => {
    const timers = durations.filter((n) => props[n]!.timer);
    expect(timers.sort()).toEqual(
      [
        "DB_LOCK_TIMEOUT_MS",
        "DB_STATEMENT_TIMEOUT_MS",
        "FLUSH_BLOCK_MS",
        "FLUSH_CLAIM_INTERVAL_MS",
        "FLUSH_LINGER_MS",
        "FLUSH_RETRY_MAX_MS",
        "REDIS_COMMAND_TIMEOUT_MS",
        "REDIS_WAIT_TIMEOUT_MS",
        "SHUTDOWN_GRACE_MS",
      ].sort(),
    );
    for (const name of timers) {
      const max = props[name]!.maximum;
      expect([name, max <= TIMER_MAX_MS]).toEqual([name, true]);
      expect(refused(name, String(max + 1))).toBe(name);
      expect(refused(name, String(TIMER_MAX_MS + 1))).toBe(name);
    }
    // Deadlines derived from them: a flush's client deadline (statement timeout + 1 s), a
    // flusher thread's staleness (3x the statement timeout or the block), a write's deadline
    // (the command timeout plus WAIT's).
    const c = loadConfig(Object.fromEntries(timers.map((n) => [n, String(props[n]!.maximum)])));
    expect(3 * Math.max(c.DB_STATEMENT_TIMEOUT_MS + 1000, c.FLUSH_BLOCK_MS)).toBeLessThanOrEqual(TIMER_MAX_MS);
    expect(c.REDIS_COMMAND_TIMEOUT_MS + c.REDIS_WAIT_TIMEOUT_MS).toBeLessThanOrEqual(TIMER_MAX_MS);
  });

  test("every duration is either a timer or has a bound of its own (no duration left unbounded by review)", () => {
    const others = durations.filter((n) => !props[n]!.timer).sort();
    expect(others).toEqual(["CACHE_TTL_MS", "FLUSH_CLAIM_IDLE_MS", "FLUSH_STUCK_MS", "MAX_LAG_MS", "TOMBSTONE_RETENTION_MS"]);
  });

  test("TOMBSTONE_RETENTION_MS: at most 1000 years, so every store can compute now - retention", () => {
    expect(refused("TOMBSTONE_RETENTION_MS", "300000000000000")).toBe("TOMBSTONE_RETENTION_MS");
    expect(refused("TOMBSTONE_RETENTION_MS", String(MAX_TOMBSTONE_RETENTION_MS + 1))).toBe("TOMBSTONE_RETENTION_MS");
    expect(loadConfig({ TOMBSTONE_RETENTION_MS: String(MAX_TOMBSTONE_RETENTION_MS) }).TOMBSTONE_RETENTION_MS).toBe(1000 * 365.25 * 24 * 3600 * 1000);
  });

  test.each(["CACHE_TTL_MS", "MAX_LAG_MS"])("%s: up to 2^53 - 1, what a Lua number holds exactly; more is refused", (name) => {
    expect(loadConfig({ [name]: String(Number.MAX_SAFE_INTEGER) })[name as "CACHE_TTL_MS"]).toBe(Number.MAX_SAFE_INTEGER);
    expect(refused(name, "9007199254740993")).toBe(name);
    expect(refused(name, "99999999999999999999")).toBe(name);
  });

  test.each([
    ["FLUSH_CLAIM_IDLE_MS", 24 * 3600 * 1000],
    ["FLUSH_STUCK_MS", 24 * 3600 * 1000],
  ])("%s: at most a day", (name, max) => {
    expect(loadConfig({ [name]: String(max) })[name as "FLUSH_STUCK_MS"]).toBe(max);
    expect(refused(name, String(max + 1))).toBe(name);
  });
});
