// The test suite's own setup (tests/helpers/preload.ts), run as a contributor runs it: a
// `bun test` of a small file in a process of its own. A missing service stops the run at once,
// naming the service and its variable, before any test creates anything; the logs of the
// services under test are shown for a failing test only.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, PG_ADMIN_URL } from "../src/testing/services";

setDefaultTimeout(60_000);

const FIXTURE = "./tests/fixtures/logs.fixture.ts";
const dir = mkdtempSync(join(tmpdir(), "wbsetup-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function bunTest(env: Record<string, string>): Promise<{ code: number; output: string; ms: number; ran: boolean }> {
  const marker = join(dir, `ran-${Math.random().toString(36).slice(2)}`);
  const started = performance.now();
  const proc = Bun.spawn(["bun", "test", FIXTURE], {
    cwd: join(import.meta.dir, ".."),
    env: { ...process.env, ...env, FIXTURE_MARKER: marker },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [output, errors, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, output: output + errors, ms: performance.now() - started, ran: existsSync(marker) };
}

test("a service that is not there: the run fails within 10 s naming it and its variable, and no test ran", async () => {
  const url = new URL(PG_ADMIN_URL);
  url.port = String(await freePort()); // nothing listens there
  const run = await bunTest({ TEST_PG_URL: url.toString() });
  expect(run.code).not.toBe(0);
  expect(run.ms).toBeLessThan(10_000);
  if (url.password) url.password = "***"; // never printed
  expect(run.output).toContain(`Postgres is not reachable at ${url}`);
  expect(run.output).toContain("set TEST_PG_URL");
  expect(run.output).not.toContain("Redis is not reachable");
  expect(run.ran).toBe(false); // so nothing was created to clean up
});

test("the services' logs are shown for the failing test only", async () => {
  const run = await bunTest({});
  expect(run.ran).toBe(true);
  expect(run.code).toBe(1);
  expect(run.output).toMatch(/1 pass\s+1 fail/);
  expect(run.output).toContain("LOGGED-BY-THE-FAILING-TEST");
  expect(run.output).toContain('"msg":"writeback listening"'); // what the binary printed
  expect(run.output).not.toContain("LOGGED-BY-THE-PASSING-TEST");
});

test("no test starts the service from source: every process is the binary (startService, runService, binaryCopy)", async () => {
  // `bun src/main.ts` would hide what minification breaks; so would a build of its own with other flags.
  const offenders: string[] = [];
  const root = join(import.meta.dir, "..");
  const files = ["tests/**/*.ts", "src/testing/**/*.ts"].flatMap((p) => [...new Bun.Glob(p).scanSync({ cwd: root })]);
  expect(files).toContain("tests/faults.test.ts");
  for (const file of files) {
    if (file === "tests/suite-setup.test.ts") continue;
    const text = await Bun.file(join(root, file)).text();
    // a path to src/main.ts as a string (spawned or compiled), or a `bun build --compile` of its own
    if (/["'`][^"'`\s]*src\/main\.ts["'`]|["'`]build["'`],\s*["'`]--compile/.test(text)) offenders.push(file);
  }
  expect(offenders).toEqual([]);
});
