// One line that says what a bench run measured: the machine, every version, the settings and
// the commit (marked when the tree differed from it).
import { $ } from "bun";
import type { BenchEnv } from "./env";
import { machine } from "./procfs";

export async function describeSetup(env: BenchEnv, root: string, settings: Record<string, unknown>): Promise<string> {
  const m = machine();
  const redisVersion = /redis_version:(\S+)/.exec(await env.client.info("server"))?.[1];
  const [pg] = await env.sql<{ server_version: string; synchronous_commit: string }[]>`
    SELECT current_setting('server_version') AS server_version, current_setting('synchronous_commit') AS synchronous_commit`;
  const wrkVersion = (await $`wrk -v`.nothrow().quiet().text()).split("\n")[0]?.trim();
  const head = (await $`git rev-parse --short HEAD`.cwd(root).nothrow().quiet().text()).trim() || "unknown";
  const dirty = (
    await $`git status --porcelain -- src sql bench :!bench/results`.cwd(root).nothrow().quiet().text()
  ).trim();
  const commit = dirty ? `${head} with uncommitted changes` : head;
  return (
    `Machine: ${m.cores} cores, ${m.cpu}, ${m.memGiB} GiB, Linux ${m.kernel}. Bun ${Bun.version}, ` +
    `Redis ${redisVersion} (private, AOF everysec), PostgreSQL ${pg?.server_version} ` +
    `(synchronous_commit ${pg?.synchronous_commit}), ${wrkVersion}. writeback ${commit}, settings: ${JSON.stringify(settings)}.`
  );
}
