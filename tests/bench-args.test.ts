// bun run bench's command line: --help prints the usage and starts nothing; an unknown part
// or argument is refused (exit 2) instead of silently selecting nothing or everything.
import { expect, test } from "bun:test";

const RUN = `${import.meta.dir}/../bench/run.ts`;

async function bench(...args: string[]) {
  const proc = Bun.spawn(["bun", RUN, ...args], { stdout: "pipe", stderr: "pipe" });
  // A run that started would take minutes: a generous bound, well below that.
  const killer = setTimeout(() => proc.kill(), 30_000);
  const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  clearTimeout(killer);
  return { code, out, err };
}

test("--help prints the usage, with every part, and exits 0 without measuring", async () => {
  for (const flag of ["--help", "-h"]) {
    const r = await bench(flag);
    expect(r.code).toBe(0);
    expect(r.out).toContain("usage: bun run bench");
    for (const part of ["write", "direct", "drain", "api", "scale"]) expect(r.out).toContain(`  ${part} `);
    expect(r.err).not.toContain("building dist/writeback");
  }
});

test("an unknown --only part, or an unknown argument, is refused with exit 2 naming it", async () => {
  const typo = await bench("--only=drian");
  expect(typo.code).toBe(2);
  expect(typo.err).toContain('unknown part "drian"');
  expect(typo.err).not.toContain("building dist/writeback");
  const mixed = await bench("--only=drain,nope");
  expect(mixed.code).toBe(2);
  expect(mixed.err).toContain('"nope"');
  const flag = await bench("--quik");
  expect(flag.code).toBe(2);
  expect(flag.err).toContain('unknown argument "--quik"');
});
