import { describe, expect, test } from "bun:test";
import { ConfigError, helpText, loadConfig } from "../src/config";
import { runService } from "../src/testing/process";

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
    const { code, output } = await runService({ FLUSH_BATCH: "lots" });
    expect(code).toBe(2);
    expect(output).toContain("FLUSH_BATCH");
  });
});
