// Test and bench support (never imported by the service): the compiled binary users run.
// Process-level tests start `dist/writeback`, never `bun src/main.ts`: `--minify` renames
// classes, so a defect that only the binary has (an error recognised by a class's name) must
// fail a test. The binary is built from the current source once per test run (one `bun test`
// process), with the shipped flags (`bun run build`), so it can never be stale.
import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

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

export interface BinaryCopy {
  /** a new directory holding the binary alone: no sources, no node_modules, readable by every user */
  dir: string;
  path: string;
  /** deletes the directory (also done when this process exits, whatever the test did) */
  remove: () => void;
}

const copies = new Set<string>();
process.on("exit", () => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

/** The binary (built once per run) copied into a directory of its own, for a test that runs it from elsewhere. */
export async function binaryCopy(): Promise<BinaryCopy> {
  const source = await binary();
  const dir = mkdtempSync(join(tmpdir(), "wbbin-"));
  copies.add(dir);
  const path = join(dir, "writeback");
  copyFileSync(source, path);
  chmodSync(dir, 0o755);
  chmodSync(path, 0o755);
  return {
    dir,
    path,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
      copies.delete(dir);
    },
  };
}
