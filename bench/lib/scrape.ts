// Reads writeback's Prometheus /metrics into plain numbers.

export interface Scrape {
  get(series: string): number;
  /** cumulative bucket counts, bounds (seconds) and total of a histogram */
  hist(name: string): { bounds: number[]; cumulative: number[]; count: number };
}

export async function scrape(base: string): Promise<Scrape> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    values.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return {
    get: (series) => values.get(series) ?? 0,
    hist(name) {
      const bounds: number[] = [];
      const cumulative: number[] = [];
      for (const [series, v] of values) {
        const m = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\}$`).exec(series);
        if (m && m[1] !== "+Inf") {
          bounds.push(Number(m[1]));
          cumulative.push(v);
        }
      }
      return { bounds, cumulative, count: values.get(`${name}_count`) ?? 0 };
    },
  };
}

/** The histogram of what happened between two scrapes. */
export function histDelta(before: Scrape, after: Scrape, name: string) {
  const a = after.hist(name);
  const b = before.hist(name);
  return {
    bounds: a.bounds,
    cumulative: a.cumulative.map((c, i) => c - (b.cumulative[i] ?? 0)),
    count: a.count - b.count,
  };
}
