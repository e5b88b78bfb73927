// A drain that starts while a partition is between owners (its old owner gave it back at a
// settle, its new owner's claim is waiting to be tried again) still drains it: a stopping
// thread claims the partitions nobody holds before it says it stopped drained. Before that
// fix (found by this test), both flushers said "drained" with the partition's entries still in
// Redis, and a SIGTERM soon after start exited 0 undrained (tests/process.test.ts).
import { expect, test } from "bun:test";
import { loadConfig } from "../../src/config";
import { Flusher } from "../../src/flusher/flusher";
import { partitionOf } from "../../src/keys";
import { Registry } from "../../src/metrics";
import { FakeLog } from "./fakes/log";
import { FakeStore } from "./fakes/store";

const config = loadConfig({ FLUSH_BLOCK_MS: "20", FLUSH_LINGER_MS: "1", FLUSH_RETRY_MAX_MS: "20", FLUSH_CLAIM_IDLE_MS: "3000", FLUSH_CLAIM_INTERVAL_MS: "100", MAX_LAG_MS: "60000" });
async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timeout");
    await Bun.sleep(2);
  }
}

test("a drain that starts while a partition is between owners (released, not yet claimed) still drains it", async () => {
  const log = new FakeLog(4);
  const store = new FakeStore();
  const a = new Flusher(config, log, store, new Registry(), { consumer: "a-0", name: "a", process: "p" });
  const aDone = a.run();
  await until(() => log.leases.size === 4);
  const b = new Flusher(config, log, store, new Registry(), { consumer: "b-0", name: "b", process: "p" });
  const bDone = b.run();
  // a gives 1 and 3 back at its next settle (members looked at again within a second); b tries again 250 ms after its refused claims
  await until(() => !log.leases.has(1) && !log.leases.has(3), 3000);
  let i = 0;
  while (log.streams[1]!.length === 0 || log.streams[3]!.length === 0) {
    const k = `k${i++}`;
    if ([1, 3].includes(partitionOf(k, 4))) log.write(k, "v", 1);
  }
  a.drain(2000);
  b.drain(2000);
  const drained = await Promise.all([aDone, bDone]);
  expect(drained).toEqual([true, true]);
  expect(log.backlog()).toBe(0);
});
