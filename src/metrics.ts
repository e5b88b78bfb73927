// Prometheus metrics. Each thread keeps a Registry; flusher threads post snapshots to the
// main thread, which adds them up when /metrics is scraped.
import { readdirSync } from "node:fs";

type Kind = "counter" | "gauge" | "histogram";
interface Def {
  kind: Kind;
  help: string;
  buckets?: number[];
}

const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const BATCH_BUCKETS = [1, 5, 10, 50, 100, 250, 500, 1000, 5000, 10_000, 50_000];
// Fine around the 250 ms a write should take to reach Postgres under normal load.
const PERSIST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 10, 30, 60];

export const DEFS = {
  writeback_writes_total: { kind: "counter", help: "POST /set and /del requests by outcome (ok, rejected, backpressure, unavailable)" },
  writeback_write_seconds: { kind: "histogram", help: "server time of an accepted write", buckets: LATENCY_BUCKETS },
  writeback_flushed_entries_total: { kind: "counter", help: "stream entries persisted and acknowledged" },
  writeback_flushed_rows_total: { kind: "counter", help: "rows sent to Postgres after coalescing" },
  writeback_guard_skipped_rows_total: { kind: "counter", help: "rows the version guard left unchanged (older or replayed)" },
  writeback_batches_total: { kind: "counter", help: "batches committed" },
  writeback_batch_entries: { kind: "histogram", help: "stream entries per committed batch", buckets: BATCH_BUCKETS },
  writeback_persist_lag_seconds: {
    kind: "histogram",
    help: "time from a write's acknowledgement (its stream entry) to its commit in Postgres",
    buckets: PERSIST_BUCKETS,
  },
  writeback_flush_retries_total: { kind: "counter", help: "flush attempts that failed transiently and were retried" },
  writeback_dead_letters_total: { kind: "counter", help: "entries moved to the dead-letter stream, by reason" },
  writeback_reclaimed_entries_total: { kind: "counter", help: "entries read again after their partition was taken over from an owner that died or stalled" },
  writeback_partition_takeovers_total: { kind: "counter", help: "partitions claimed from an owner that never released them (it died or stalled)" },
  writeback_worker_restarts_total: { kind: "counter", help: "flusher threads restarted after a failure" },
  writeback_flusher_contained_errors_total: {
    kind: "counter",
    help: "exceptions thrown from a callback (a driver's) that a flusher thread contained by reconnecting",
  },
  writeback_contained_errors_total: {
    kind: "counter",
    help: "exceptions thrown from a callback (a driver's) that the main thread contained by reconnecting its database client",
  },
  writeback_tombstones_purged_total: { kind: "counter", help: "tombstones of deleted keys purged after TOMBSTONE_RETENTION_MS" },
  writeback_cache_reads_total: { kind: "counter", help: "source=cache reads by result (hit, tombstone, miss)" },
  writeback_cache_fills_total: { kind: "counter", help: "cache misses filled from the database (read-through)" },
  writeback_redis_evicted_keys_total: { kind: "counter", help: "keys Redis evicted under maxmemory (from INFO; only clean entries carry a TTL)" },
  writeback_redis_expired_keys_total: { kind: "counter", help: "keys Redis expired (from INFO): clean cache entries past CACHE_TTL_MS" },
  writeback_backlog_entries: { kind: "gauge", help: "stream length: an upper bound of the writes not yet persisted" },
  writeback_oldest_unpersisted_age_seconds: {
    kind: "gauge",
    help: "age of the oldest write not yet in Postgres: what losing Redis now would cost",
  },
  writeback_dead_letter_entries: { kind: "gauge", help: "entries waiting in the dead-letter stream" },
  writeback_ready: { kind: "gauge", help: "1 when Redis and the database answer and the schema exists (what /ready says), else 0" },
  writeback_flusher_threads: { kind: "gauge", help: "flusher threads by state: alive, stuck (one batch not through for FLUSH_STUCK_MS), down" },
  writeback_build_info: { kind: "gauge", help: "the running build: its version and Bun's (always 1)" },
  // What Prometheus users expect of any exporter (the standard process collector's names).
  process_cpu_seconds_total: { kind: "counter", help: "user and system CPU time of the process, in seconds" },
  process_resident_memory_bytes: { kind: "gauge", help: "resident memory of the process, in bytes" },
  process_start_time_seconds: { kind: "gauge", help: "start time of the process since the Unix epoch, in seconds" },
  process_open_fds: { kind: "gauge", help: "open file descriptors of the process" },
} satisfies Record<string, Def>;

export type MetricName = keyof typeof DEFS;

export interface Snapshot {
  values: Record<string, number>; // "name{labels}" -> value
  hists: Record<string, { counts: number[]; sum: number; count: number }>;
}

/** A label value in the text format: backslash, double quote and newline escaped. */
const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

const series = (name: string, labels?: Record<string, string>) =>
  labels ? `${name}{${Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}` : name;

export class Registry {
  values: Record<string, number> = {};
  hists: Snapshot["hists"] = {};

  inc(name: MetricName, labels?: Record<string, string>, n = 1): void {
    const s = series(name, labels);
    this.values[s] = (this.values[s] ?? 0) + n;
  }
  set(name: MetricName, value: number, labels?: Record<string, string>): void {
    this.values[series(name, labels)] = value;
  }
  observe(name: MetricName, value: number): void {
    const buckets = (DEFS[name] as Def).buckets!;
    const h = (this.hists[name] ??= { counts: new Array(buckets.length).fill(0), sum: 0, count: 0 });
    // One increment, in the value's own bucket; render() makes the counts cumulative.
    // (The flusher observes once per entry, tens of thousands per second.)
    let i = 0;
    while (i < buckets.length && value > buckets[i]!) i++;
    if (i < buckets.length) h.counts[i]!++;
    h.sum += value;
    h.count++;
  }
  snapshot(): Snapshot {
    return structuredClone({ values: this.values, hists: this.hists });
  }
  /** Adds another thread's counters and histograms into this one. */
  add(s: Snapshot): void {
    for (const [k, v] of Object.entries(s.values)) this.values[k] = (this.values[k] ?? 0) + v;
    for (const [k, h] of Object.entries(s.hists)) {
      const mine = (this.hists[k] ??= { counts: new Array(h.counts.length).fill(0), sum: 0, count: 0 });
      h.counts.forEach((c, i) => (mine.counts[i]! += c));
      mine.sum += h.sum;
      mine.count += h.count;
    }
  }
}

const startedAt = Date.now() / 1000 - process.uptime();

/** The process's own figures, and the build, into `r` (read at each scrape). */
export function collectProcess(r: Registry, version: string): void {
  const cpu = process.cpuUsage();
  r.set("process_cpu_seconds_total", (cpu.user + cpu.system) / 1e6);
  r.set("process_resident_memory_bytes", process.memoryUsage.rss());
  r.set("process_start_time_seconds", Math.round(startedAt * 1000) / 1000);
  try {
    r.set("process_open_fds", readdirSync("/proc/self/fd").length);
  } catch {
    // not Linux: left out
  }
  r.set("writeback_build_info", 1, { version, bun: Bun.version });
}

export function render(r: Registry): string {
  const out: string[] = [];
  for (const [name, def] of Object.entries(DEFS) as [string, Def][]) {
    out.push(`# HELP ${name} ${def.help}`, `# TYPE ${name} ${def.kind}`);
    if (def.kind === "histogram") {
      const h = r.hists[name] ?? { counts: def.buckets!.map(() => 0), sum: 0, count: 0 };
      let cumulative = 0;
      def.buckets!.forEach((b, i) => out.push(`${name}_bucket{le="${b}"} ${(cumulative += h.counts[i]!)}`));
      out.push(`${name}_bucket{le="+Inf"} ${h.count}`, `${name}_sum ${h.sum}`, `${name}_count ${h.count}`);
      continue;
    }
    const mine = Object.entries(r.values).filter(([s]) => s === name || s.startsWith(name + "{"));
    if (mine.length === 0 && !name.endsWith("_total")) continue;
    if (mine.length === 0) out.push(`${name} 0`);
    for (const [s, v] of mine) out.push(`${s} ${v}`);
  }
  return out.join("\n") + "\n";
}
