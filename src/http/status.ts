// What the status page (/ui) shows over time: every SAMPLE_MS, the counters' deltas (write and
// flush rates, coalescing) and the persist-lag histogram's, as p50/p99, for the last minutes.
// Kept in the main thread, which already adds up every thread's metrics for /metrics.
import { DEFS, Registry } from "../metrics";

const SAMPLE_MS = 2000;
const KEEP = 150; // 5 minutes

export interface Sample {
  t: number;
  writesPerSecond: number;
  flushedPerSecond: number;
  /** rows written per entry flushed over the interval (1 = no coalescing) */
  rowsPerEntry: number | null;
  lagP50: number | null;
  lagP99: number | null;
}

/** The q-quantile (0..1) of a histogram given as per-bucket counts (not cumulative); null when empty. */
export function quantile(bounds: number[], counts: number[], total: number, q: number): number | null {
  if (total <= 0) return null;
  let seen = 0;
  for (let i = 0; i < bounds.length; i++) {
    seen += counts[i] ?? 0;
    if (seen >= q * total) return bounds[i]!;
  }
  return bounds[bounds.length - 1]!; // beyond the last bound
}

export class StatusHistory {
  readonly samples: Sample[] = [];
  private last?: { t: number; values: Record<string, number>; lag: { counts: number[]; count: number } };
  private timer?: ReturnType<typeof setInterval>;

  constructor(private collect: () => Registry) {}

  /** Starts sampling on first use, so a process nobody watches does no work for it. */
  touch(): void {
    if (this.timer) return;
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref?.();
  }

  private sample(): void {
    const r = this.collect();
    const t = Date.now();
    const values = { ...r.values };
    const h = r.hists["writeback_persist_lag_seconds"] ?? { counts: [], sum: 0, count: 0 };
    const lag = { counts: [...h.counts], count: h.count };
    const prev = this.last;
    this.last = { t, values, lag };
    if (!prev) return;
    const secs = (t - prev.t) / 1000;
    const delta = (name: string) => (values[name] ?? 0) - (prev.values[name] ?? 0);
    const entries = delta("writeback_flushed_entries_total");
    const bounds = DEFS.writeback_persist_lag_seconds.buckets;
    const counts = bounds.map((_, i) => (lag.counts[i] ?? 0) - (prev.lag.counts[i] ?? 0));
    const total = lag.count - prev.lag.count;
    this.samples.push({
      t,
      writesPerSecond: delta('writeback_writes_total{outcome="ok"}') / secs,
      flushedPerSecond: entries / secs,
      rowsPerEntry: entries > 0 ? delta("writeback_flushed_rows_total") / entries : null,
      lagP50: quantile(bounds, counts, total, 0.5),
      lagP99: quantile(bounds, counts, total, 0.99),
    });
    if (this.samples.length > KEEP) this.samples.shift();
  }
}
