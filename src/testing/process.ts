// Test and bench support (never imported by the service): runs writeback as a user does, a
// separate process (the compiled binary, built once per run: binary.ts), talked to over a
// real socket.
import { binary } from "./binary";
import { freePort } from "./services";

export interface Running {
  proc: ReturnType<typeof Bun.spawn>;
  base: string;
  port: number;
  output: () => string;
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
  const collect = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) out += new TextDecoder().decode(chunk);
  };
  void collect(proc.stdout as ReadableStream<Uint8Array>);
  void collect(proc.stderr as ReadableStream<Uint8Array>);
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const r = await fetch(`${base}/health`);
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (proc.exitCode !== null || Date.now() > deadline) {
      throw new Error(`writeback did not start (exit ${proc.exitCode}):\n${out}`);
    }
    await Bun.sleep(50);
  }
  return { proc, base, port, output: () => out };
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
