// Small statistics for bench rounds: medians with their spread, percentiles of samples.

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(xs: number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]! };
}

/** The p-th percentile (0..100) of sorted samples, nearest-rank. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/**
 * The p-th percentile of a Prometheus histogram (cumulative bucket counts), interpolated
 * linearly inside the bucket as histogram_quantile() does.
 */
export function histogramPercentile(bounds: number[], cumulative: number[], total: number, p: number): number {
  const target = (p / 100) * total;
  let prevBound = 0;
  let prevCount = 0;
  for (let i = 0; i < bounds.length; i++) {
    if (cumulative[i]! >= target) {
      const inBucket = cumulative[i]! - prevCount;
      const frac = inBucket > 0 ? (target - prevCount) / inBucket : 1;
      return prevBound + (bounds[i]! - prevBound) * frac;
    }
    prevBound = bounds[i]!;
    prevCount = cumulative[i]!;
  }
  return Infinity; // above the last finite bucket
}

/** Least-squares slope of y over x. */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}
