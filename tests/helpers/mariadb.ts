// A private MariaDB server for tests that change server-wide settings (SET GLOBAL
// max_allowed_packet, max_prepared_stmt_count), create users with limits, or kill connections:
// never done on the shared MariaDB. A fresh data directory (mariadb-install-db, under a second)
// and a mariadbd on a free loopback port; stop() kills it and removes the directory.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../src/testing/services";

export class PrivateMariaDb {
  private constructor(
    readonly port: number,
    private dir: string,
    private proc: ReturnType<typeof Bun.spawn>,
  ) {}

  /** mysql://<user>@127.0.0.1:<port>/<database> */
  url(database = "mysql", user = "root", password = ""): string {
    return `mysql://${user}${password ? `:${password}` : ""}@127.0.0.1:${this.port}/${database}`;
  }

  /** A client as root, one connection. */
  admin(): InstanceType<typeof Bun.SQL> {
    return new Bun.SQL({ url: this.url(), max: 1 });
  }

  static async start(): Promise<PrivateMariaDb> {
    const dir = mkdtempSync(join(tmpdir(), "wbmariadb-"));
    // mariadbd runs as root only when told to; as anyone else it runs as that user.
    const asRoot = process.getuid?.() === 0 ? ["--user=root"] : [];
    const common = ["--no-defaults", `--datadir=${dir}/data`, ...asRoot, "--innodb-log-file-size=8M"];
    const install = Bun.spawn(["mariadb-install-db", ...common, "--auth-root-authentication-method=normal", "--skip-test-db"], { stdout: "pipe", stderr: "pipe" });
    if ((await install.exited) !== 0) {
      const err = await new Response(install.stderr).text();
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`mariadb-install-db failed: ${err}`);
    }
    const port = await freePort();
    const proc = Bun.spawn(
      ["mariadbd", ...common, `--socket=${dir}/sock`, `--pid-file=${dir}/pid`, `--port=${port}`, "--bind-address=127.0.0.1", "--innodb-buffer-pool-size=32M"],
      { stdout: "ignore", stderr: "pipe" },
    );
    const server = new PrivateMariaDb(port, dir, proc);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const probe = new Bun.SQL({ url: server.url(), max: 1, connectionTimeout: 2 });
      try {
        await probe.unsafe("SELECT 1");
        await probe.close();
        return server;
      } catch {
        await probe.close().catch(() => {});
      }
      if (proc.exitCode !== null || Date.now() > deadline) {
        await server.stop();
        throw new Error(`mariadbd on ${port} did not start: ${await new Response(proc.stderr as ReadableStream).text()}`);
      }
      await Bun.sleep(100);
    }
  }

  async stop(): Promise<void> {
    this.proc.kill(9);
    await this.proc.exited;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
