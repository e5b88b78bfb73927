// writeback on a Redis Cluster (3 masters, 3 replicas, started here): the API and flusher
// suites pass as on one Redis, every script call stays within one slot (hash tags, keys.ts), and a flusher
// persists every partition.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createDatabase, PrivateCluster } from "../src/testing/services";
import { harness } from "./helpers/harness";
import { apiSuite } from "./suites/api";
import { apiExtendedSuite } from "./suites/api-extended";
import { flusherSuite } from "./suites/flusher";
import { waitFor } from "../src/testing/process";

setDefaultTimeout(120_000);

let cluster: PrivateCluster;
beforeAll(async () => {
  cluster = await PrivateCluster.start(3);
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
});

const target = () => ({ REDIS_URL: cluster.url, STREAM_PARTITIONS: "16" });

describe("on a Redis Cluster", () => {
  describe("the HTTP contract", () => apiSuite(target));
  describe("increments, batches, status", () => apiExtendedSuite(target));
  // The flusher suite looks at one stream: one partition, on one master of the cluster.
  describe("the write path and the flusher", () => flusherSuite(() => ({ REDIS_URL: cluster.url, STREAM_PARTITIONS: "1" })));

  test("writes to keys of every partition reach the database through one flusher, and the streams drain", async () => {
    const db = await createDatabase();
    const h = await harness(db.url, { ...target(), REDIS_CLUSTER: "true" });
    try {
      h.startFlusher();
      const keys = Array.from({ length: 400 }, (_, i) => `spread:${i}`);
      expect(new Set(keys.map((k) => h.keys.partition(k))).size).toBe(16);
      const results = await Promise.all(keys.map((k) => h.post(k, `v-${k}`)));
      expect(results.every((r) => r.status === 200)).toBe(true);
      await waitFor("drained", async () => (await h.backlog()) === 0, 60_000);
      const rows = await h.store.getMany(keys);
      expect(keys.filter((k) => rows.get(k)?.value === `v-${k}`).length).toBe(400);
    } finally {
      await h.close();
      await db.drop();
    }
  });
});
