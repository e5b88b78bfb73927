// Shared setup of the test files that run writeback as a process: a database for the file,
// and after each test, every started process and private redis-server gone.
import { afterAll, afterEach, beforeAll } from "bun:test";
import type { Running } from "./service";
import { createDatabase, type PrivateRedis } from "./services";

export interface ProcessSuite {
  dbUrl: string;
  redis?: PrivateRedis;
  running: Running[];
}

export function processSuite(): ProcessSuite {
  const s: ProcessSuite = { dbUrl: "", running: [] };
  let drop = async () => {};
  beforeAll(async () => {
    ({ url: s.dbUrl, drop } = await createDatabase());
  });
  afterAll(async () => drop());
  afterEach(async () => {
    for (const r of s.running) r.proc.kill(9);
    s.running = [];
    await s.redis?.stop();
    s.redis = undefined;
  });
  return s;
}
