// Test and bench support (never imported by the service): runs writeback as a user does, a
// separate process (the compiled binary, built once per run: binary.ts), talked to over a
// real socket. What a process prints is kept, not shown: the test preload
// (tests/helpers/preload.ts) prints it only for a test that failed.
import { binary } from "./binary";
import { freePort } from "./services";

export interface Running {
  proc: ReturnType<typeof Bun.spawn>;
  base: string;
  port: number;
  /** everything the process printed so far (stdout and stderr, as they came) */
  output: () => string;
}

/** Every process this module started and that may still matter to the current test: what the preload prints when one fails. */
export const started = new Set<Running>();

/** Collects a stream's text into `into` until it ends. */
async function collect(s: ReadableStream<Uint8Array>, into: (text: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of s) into(decoder.decode(chunk, { stream: true }));
}

export async function startService(
  env: Record<string, string>,
  o: { cmd?: string[]; cwd?: string; port?: number } = {},
): Promise<Running> {
  const port = o.port ?? (await freePort());
  const cmd = o.cmd ?? [await binary()];
  let out = "";
  const proc = Bun.spawn(cmd, {
    cwd: o.cwd,
    env: { ...process.env, LOG_LEVEL: "warn", ...env, PORT: String(port), HOST: "127.0.0.1" },
    stdout: "pipe",
    stderr: "pipe",
  });
  void collect(proc.stdout as ReadableStream<Uint8Array>, (t) => (out += t));
  void collect(proc.stderr as ReadableStream<Uint8Array>, (t) => (out += t));
  const base = `http://127.0.0.1:${port}`;
  const running: Running = { proc, base, port, output: () => out };
  started.add(running);
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const r = await fetch(`${base}/health`);
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (proc.exitCode !== null || Date.now() > deadline) {
      if (proc.exitCode === null) proc.kill(9);
      throw new Error(`writeback did not start (exit ${proc.exitCode}):\n${out}`);
    }
    await Bun.sleep(50);
  }
  return running;
}

/**
 * Runs the binary expecting it to exit by itself (a refusal to start, `--help`, a
 * subcommand); killed after `ms`. Its exit code and everything it printed.
 */
export async function runService(
  env: Record<string, string>,
  o: { args?: string[]; cwd?: string; ms?: number; bin?: string } = {},
): Promise<{ code: number | null; output: string }> {
  const proc = Bun.spawn([o.bin ?? (await binary()), ...(o.args ?? [])], {
    cwd: o.cwd,
    env: { ...process.env, LOG_LEVEL: "warn", HOST: "127.0.0.1", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  let out = "";
  const reading = Promise.all([
    collect(proc.stdout as ReadableStream<Uint8Array>, (t) => (out += t)),
    collect(proc.stderr as ReadableStream<Uint8Array>, (t) => (out += t)),
  ]);
  const timer = setTimeout(() => proc.kill(9), o.ms ?? 15_000);
  const code = await proc.exited;
  clearTimeout(timer);
  await reading;
  return { code, output: out };
}

export async function set(base: string, key: string, value: string): Promise<Response> {
  return fetch(`${base}/set`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ key, value }),
  });
}

export async function waitFor(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}
