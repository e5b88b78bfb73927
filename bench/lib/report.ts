// The bench's output: one table of figures against their baselines and bars.
import type { Spread } from "./stats";

export interface Figure {
  figure: string;
  value: string;
  baseline: string;
  ratio: string;
  bar: string;
  pass: boolean | undefined; // undefined: reported, no bar
}

export const fmtRate = (s: Spread) =>
  `${Math.round(s.median).toLocaleString("en-US")}/s (${Math.round(s.min).toLocaleString("en-US")}–${Math.round(s.max).toLocaleString("en-US")})`;
export const fmtRatio = (s: Spread) => `${s.median.toFixed(2)}× (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
export const fmtMiB = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
export const fmtMs = (s: Spread) => `${s.median.toFixed(1)} ms (${s.min.toFixed(1)}–${s.max.toFixed(1)})`;

export function table(figures: Figure[]): string {
  const head = "| figure | value | baseline | ratio | bar | result |\n|---|---|---|---|---|---|";
  const rows = figures.map(
    (f) =>
      `| ${f.figure} | ${f.value} | ${f.baseline} | ${f.ratio} | ${f.bar} | ${f.pass === undefined ? "info" : f.pass ? "pass" : "**FAIL**"} |`,
  );
  return [head, ...rows].join("\n");
}

export function cpuTable(title: string, perWrite: Record<string, number>): string {
  const total = Object.values(perWrite).reduce((a, b) => a + b, 0);
  const rows = Object.entries(perWrite).map(
    ([k, v]) => `| ${k} | ${v.toFixed(1)} | ${((100 * v) / total).toFixed(0)} % |`,
  );
  return [`| ${title} | CPU µs | share |`, "|---|---|---|", ...rows, `| total | ${total.toFixed(1)} | |`].join("\n");
}

export interface Report {
  title: string;
  /** what ran where: machine, versions, settings, method */
  setup: string[];
  figures: Figure[];
  sections: { title: string; body: string }[];
  notes: string[];
}

export function renderReport(r: Report): string {
  return [
    `# ${r.title}`,
    "",
    ...r.setup,
    "",
    table(r.figures),
    "",
    ...r.sections.flatMap((s) => [s.title, "", s.body, ""]),
    ...r.notes.flatMap((n) => [n, ""]),
  ].join("\n");
}

const MARKED = /<!-- bench:start -->[\s\S]*<!-- bench:end -->/;

/** Puts the report (without its title) between the README's bench markers; false if it has none. */
export async function updateReadme(path: string, report: string): Promise<boolean> {
  const readme = await Bun.file(path).text();
  if (!MARKED.test(readme)) return false;
  const body = report.split("\n").slice(2).join("\n").trim();
  await Bun.write(path, readme.replace(MARKED, `<!-- bench:start -->\n${body}\n<!-- bench:end -->`));
  return true;
}
