// The bench's own instruments: if they are wrong, every figure in bench/results is wrong.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { constantLoad } from "../bench/lib/constant";
import { histogramPercentile, percentile, slope, spread } from "../bench/lib/stats";

setDefaultTimeout(30_000);

describe("statistics", () => {
  test("median and spread of rounds", () => {
    expect(spread([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
    expect(spread([4, 1, 2, 3]).median).toBe(2.5);
  });

  test("nearest-rank percentile", () => {
    const xs = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 100)).toBe(100);
    expect(percentile([], 99)).toBeNaN();
  });

  test("histogram percentile interpolates inside the bucket, like histogram_quantile", () => {
    // 100 observations: 50 in (0, 0.1], 40 in (0.1, 0.2], 10 in (0.2, 0.5]
    const bounds = [0.1, 0.2, 0.5];
    const cumulative = [50, 90, 100];
    expect(histogramPercentile(bounds, cumulative, 100, 50)).toBeCloseTo(0.1);
    expect(histogramPercentile(bounds, cumulative, 100, 70)).toBeCloseTo(0.15);
    expect(histogramPercentile(bounds, cumulative, 100, 99)).toBeCloseTo(0.2 + 0.3 * 0.9);
    // observations above the last finite bucket: the percentile is unknown, not the bound
    expect(histogramPercentile(bounds, [50, 90, 95], 100, 99)).toBe(Infinity);
  });

  test("slope of a growing backlog", () => {
    expect(slope([0, 1, 2, 3], [10, 30, 50, 70])).toBeCloseTo(20);
    expect(slope([0, 1, 2], [5, 5, 5])).toBe(0);
  });
});

describe("open-loop generator", () => {
  // A server that takes 20 ms per request; with 2 connections it serves at most 100/s.
  let server: ReturnType<typeof Bun.serve>;
  beforeAll(() => {
    server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async () => {
        await Bun.sleep(20);
        return Response.json({ status: "cached" });
      },
    });
  });
  afterAll(() => server.stop(true));

  test("below capacity: the rate is kept and latency is the service time", async () => {
    const r = await constantLoad({ port: server.port!, rate: 40, seconds: 1.5, connections: 4, runId: "t" });
    expect(r.ok).toBe(r.sent);
    expect(r.achieved).toBeGreaterThan(30);
    expect(r.p50).toBeGreaterThanOrEqual(19);
    expect(r.p50).toBeLessThan(60);
  });

  test("above capacity: requests are timed from when they were due, so the queue shows", async () => {
    // 200/s offered to a 100/s server for 1.5 s: the last requests wait ~1.5 s behind the
    // queue. A closed-loop generator would report ~20 ms (coordinated omission).
    const r = await constantLoad({ port: server.port!, rate: 200, seconds: 1.5, connections: 2, runId: "t" });
    expect(r.ok).toBe(r.sent);
    expect(r.p99).toBeGreaterThan(500);
    expect(r.achieved).toBeLessThan(150);
  });
});
