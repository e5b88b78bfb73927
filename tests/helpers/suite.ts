// Shared setup of the test files that run writeback as a process: a database for each test
// (a database belongs to one deployment, i.e. one KEY_PREFIX, and the tests use several),
// and after each test, every started process and private redis-server gone.
import { afterEach, beforeEach } from "bun:test";
import type { Running } from "../../src/testing/process";
import { createDatabase, type PrivateRedis } from "../../src/testing/services";

export interface ProcessSuite {
  dbUrl: string;
  redis?: PrivateRedis;
  running: Running[];
}

export function processSuite(): ProcessSuite {
  const s: ProcessSuite = { dbUrl: "", running: [] };
  let drop = async () => {};
  beforeEach(async () => {
    ({ url: s.dbUrl, drop } = await createDatabase());
  });
  afterEach(async () => {
    for (const r of s.running) r.proc.kill(9);
    await Promise.all(s.running.map((r) => r.proc.exited));
    s.running = [];
    await s.redis?.stop();
    s.redis = undefined;
    await drop();
  });
  return s;
}
