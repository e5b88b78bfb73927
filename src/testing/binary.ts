// Test and bench support (never imported by the service): the compiled binary users run.
// Process-level tests start `dist/writeback`, never `bun src/main.ts`: `--minify` renames
// classes, so a defect that only the binary has (an error recognised by a class's name) must
// fail a test. The binary is built from the current source once per test run (one `bun test`
// process), with the shipped flags (`bun run build`), so it can never be stale.
import { existsSync } from "node:fs";

export const ROOT = `${import.meta.dir}/../..`;
export const BINARY = `${ROOT}/dist/writeback`;

let built: Promise<string> | undefined;

/** Builds dist/writeback once per process (`bun run build`); resolves with its path. */
export function binary(): Promise<string> {
  built ??= (async () => {
    const build = Bun.spawn(["bun", "run", "build"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    const [code, err] = await Promise.all([build.exited, new Response(build.stderr).text()]);
    if (code !== 0 || !existsSync(BINARY)) throw new Error(`bun run build failed (exit ${code}):\n${err}`);
    return BINARY;
  })();
  return built;
}
