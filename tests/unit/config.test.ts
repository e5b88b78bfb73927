// Config rules: loadConfig over env objects (defaults, refusals naming the variable, bounds of
// every duration, rules between settings) and --help. No service: the binary's exit 2 on a bad
// setting is tests/config-exit.test.ts.
import { ConfigError, ConfigSchema, helpText, loadConfig, MAX_TOMBSTONE_RETENTION_MS, TIMER_MAX_MS } from "../../src/config";
import { describe, expect, test } from "bun:test";
import { hostname } from "node:os";

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

describe("rules between settings and derived values", () => {
  test("MAX_LAG_MS below FLUSH_CLAIM_IDLE_MS + FLUSH_CLAIM_INTERVAL_MS is refused, naming MAX_LAG_MS; 0 (off) is not", () => {
    const env = { FLUSH_CLAIM_IDLE_MS: "10000", FLUSH_CLAIM_INTERVAL_MS: "2000" };
    expect(() => loadConfig({ ...env, MAX_LAG_MS: "11999" })).toThrow(/MAX_LAG_MS/);
    expect(loadConfig({ ...env, MAX_LAG_MS: "12000" }).MAX_LAG_MS).toBe(12000);
    expect(loadConfig({ ...env, MAX_LAG_MS: "0" }).MAX_LAG_MS).toBe(0);
  });

  test("a REDIS_URL listing several nodes means a Redis Cluster", () => {
    expect(loadConfig({ REDIS_URL: "redis://h1:7000,h2:7001" }).REDIS_CLUSTER).toBe(true);
    expect(loadConfig({ REDIS_URL: "redis://h1:7000" }).REDIS_CLUSTER).toBe(false);
  });

  test("CONSUMER_NAME defaults to <host>-<port>: the same after a restart on that host and port", () => {
    expect(loadConfig({ PORT: "8123" }).CONSUMER_NAME).toBe(`${hostname()}-8123`);
    expect(loadConfig({ CONSUMER_NAME: "mine" }).CONSUMER_NAME).toBe("mine");
  });

  test("an empty token means off; an empty other setting means its default", () => {
    const c = loadConfig({ API_TOKEN: "", ADMIN_TOKEN: "", PORT: "", HOST: "" });
    expect([c.API_TOKEN, c.ADMIN_TOKEN, c.PORT, c.HOST]).toEqual(["", "", 8000, "127.0.0.1"]);
  });

  test.each(["yes", "1", "TRUE"])("a boolean is true or false, nothing else (%s is refused)", (v) => {
    expect(() => loadConfig({ REDIS_CLUSTER: v })).toThrow(ConfigError);
  });

  test.each(["postgres://h/db", "postgresql://h/db", "mysql://h/db", "mariadb://h/db", "sqlite:///tmp/x.db"])("DATABASE_URL %s names a store", (url) => {
    expect(loadConfig({ DATABASE_URL: url }).DATABASE_URL).toBe(url);
  });
});

test("every DATABASE_URL the configuration accepts names a store, and a scheme no store knows is refused at start", async () => {
  const { storeKind } = await import("../../src/store/open");
  for (const url of ["postgres://h/db", "postgresql://h/db", "mysql://h/db", "mariadb://h/db", "sqlite:///tmp/x.db"]) {
    expect(["postgres", "mysql", "sqlite"]).toContain(storeKind(loadConfig({ DATABASE_URL: url }).DATABASE_URL));
  }
  for (const url of ["redis://h/db", "mongodb://h/db", "sqlite:relative.db"]) {
    expect(() => loadConfig({ DATABASE_URL: url })).toThrow("DATABASE_URL");
  }
});
