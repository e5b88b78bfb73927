// The Prometheus output a scraper sees: cumulative histogram buckets, thread snapshots added up.
import { expect, test } from "bun:test";
import { Registry, render } from "../src/metrics";

const bucket = (text: string, name: string, le: string) =>
  Number(new RegExp(`^${name}_bucket\\{le="${le.replace("+", "\\+")}"\\} (\\S+)$`, "m").exec(text)?.[1]);

test("histogram buckets are cumulative and +Inf counts every observation", () => {
  const r = new Registry();
  for (const s of [0.003, 0.02, 0.02, 0.2, 0.26, 120]) r.observe("writeback_persist_lag_seconds", s);
  const text = render(r);
  const name = "writeback_persist_lag_seconds";
  expect(bucket(text, name, "0.005")).toBe(1);
  expect(bucket(text, name, "0.025")).toBe(3);
  expect(bucket(text, name, "0.2")).toBe(4);
  expect(bucket(text, name, "0.25")).toBe(4);
  expect(bucket(text, name, "0.3")).toBe(5);
  expect(bucket(text, name, "60")).toBe(5); // 120 s is above the last finite bucket
  expect(bucket(text, name, "+Inf")).toBe(6);
  expect(text).toContain(`${name}_count 6`);
});

test("a value on a bucket bound counts in that bucket", () => {
  const r = new Registry();
  r.observe("writeback_write_seconds", 0.001);
  expect(bucket(render(r), "writeback_write_seconds", "0.001")).toBe(1);
  expect(bucket(render(r), "writeback_write_seconds", "0.0005")).toBe(0);
});

test("snapshots from threads add up", () => {
  const main = new Registry();
  const a = new Registry();
  const b = new Registry();
  a.observe("writeback_persist_lag_seconds", 0.01);
  b.observe("writeback_persist_lag_seconds", 0.5);
  a.inc("writeback_flushed_entries_total", undefined, 3);
  b.inc("writeback_flushed_entries_total", undefined, 4);
  main.add(a.snapshot());
  main.add(b.snapshot());
  const text = render(main);
  expect(bucket(text, "writeback_persist_lag_seconds", "0.01")).toBe(1);
  expect(bucket(text, "writeback_persist_lag_seconds", "0.5")).toBe(2);
  expect(text).toContain("writeback_flushed_entries_total 7");
});

test("label values are escaped as the text format requires", () => {
  const r = new Registry();
  r.inc("writeback_dead_letters_total", { reason: 'say "no"\\ at\nonce' });
  expect(render(r)).toContain('writeback_dead_letters_total{reason="say \\"no\\"\\\\ at\\nonce"} 1');
});
