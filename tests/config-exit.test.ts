// The binary refuses a bad setting: exit 2, naming the variable (the rules themselves are
// tests/unit/config.test.ts).
import { describe, expect, test } from "bun:test";
import { binary } from "../src/testing/binary";
import { freePort } from "../src/testing/services";

describe("config", () => {
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
