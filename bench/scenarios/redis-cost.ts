// What a write costs Redis, the one part every instance shares: Redis's CPU (INFO cpu: its
// user + system time) over the writes and the flush that follows, until the database has
// every key, divided by the writes; and where it went (INFO commandstats, per write). Then what
// a clean cached key costs Redis's memory, and whether the flush keeps its pace as the backlog
// grows (keys/s reaching the database while more keys are filled on top of the first ones).
import type { BenchEnv, System } from "../lib/env";
import type { Params } from "../params";

export interface CommandCost {
  command: string;
  /** µs per acknowledged write */
  usec: number;
  /** calls per acknowledged write */
  calls: number;
}

export interface RedisCost {
  writes: number;
  seconds: number;
  /** Redis's CPU µs per acknowledged write */
  cpuPerWrite: number;
  /** commandstats, per write; scripts (evalsha) include the commands they run, listed too */
  commands: CommandCost[];
  /** keys per second that reached the database, from the first write to the last commit */
  persistRate: number;
}

async function redisCpuMicros(env: BenchEnv): Promise<number> {
  const info = await env.client.info("cpu");
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(info)?.[1] ?? 0);
  return (field("used_cpu_sys") + field("used_cpu_user")) * 1e6;
}

async function commandStats(env: BenchEnv): Promise<Map<string, { calls: number; usec: number }>> {
  const info = await env.client.info("commandstats");
  const out = new Map<string, { calls: number; usec: number }>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) out.set(m[1]!, { calls: Number(m[2]), usec: Number(m[3]) });
  return out;
}

/** Redis's CPU and commands over `work` and the flush after it, until the backlog is empty. */
export async function measure(env: BenchEnv, writes: number, work: () => Promise<void>): Promise<RedisCost> {
  const stats0 = await commandStats(env);
  const cpu0 = await redisCpuMicros(env);
  const t0 = performance.now();
  await work();
  await env.waitDrained(3_600_000);
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = await redisCpuMicros(env);
  const stats1 = await commandStats(env);
  const commands: CommandCost[] = [];
  for (const [command, s] of stats1) {
    const before = stats0.get(command) ?? { calls: 0, usec: 0 };
    const usec = (s.usec - before.usec) / writes;
    if (usec >= 0.05) commands.push({ command, usec, calls: (s.calls - before.calls) / writes });
  }
  commands.sort((a, b) => b.usec - a.usec);
  return { writes, seconds, cpuPerWrite: (cpu1 - cpu0) / writes, commands, persistRate: writes / seconds };
}

/** POST /mset of `n` distinct keys (100 per request, `clients` at once), key names from `key`. */
export async function msetDistinct(wb: Pick<System, "base">, n: number, key: (i: number) => string, clients = 32): Promise<void> {
  const PER = 100;
  const value = "x".repeat(32);
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (;;) {
        const from = next;
        next += PER;
        if (from >= n) return;
        const items = Array.from({ length: Math.min(PER, n - from) }, (_, j) => ({ key: key(from + j), value }));
        for (;;) {
          const r = await fetch(`${wb.base}/mset`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ items }) });
          await r.arrayBuffer();
          if (r.status === 200) break;
          if (r.status !== 503) throw new Error(`POST /mset answered ${r.status}`);
          await Bun.sleep(50);
        }
      }
    }),
  );
}

/** POST /set of `n` writes over `keys` hot keys, `clients` at once. */
export async function setHot(wb: Pick<System, "base">, n: number, keys: number, clients = 64): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (;;) {
        const i = next++;
        if (i >= n) return;
        const r = await fetch(`${wb.base}/set`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ key: `hot:${i % keys}`, value: `v${i}` }),
        });
        await r.arrayBuffer();
        if (r.status !== 200) throw new Error(`POST /set answered ${r.status}`);
      }
    }),
  );
}

export interface RedisCostResult {
  distinct: RedisCost;
  /** the same, for the keys filled on top of the first ones (10× as many in a full run) */
  more: RedisCost;
  hot: RedisCost;
  /** Redis's used_memory per clean cached key after the first fill was persisted and given its TTL */
  bytesPerCleanKey: number;
  firstKeys: number;
  moreKeys: number;
}

export async function redisCost(env: BenchEnv, p: Params, log: (m: string) => void): Promise<RedisCostResult> {
  const firstKeys = p.quick ? 100_000 : 1_000_000;
  const moreKeys = p.quick ? 400_000 : 9_000_000;
  const hotWrites = p.quick ? 20_000 : 100_000;

  await env.client.flushall();
  await env.truncate();
  await env.settle();
  const memory0 = await usedMemory(env);
  let wb = await env.startWriteback();
  log(`redis cost: ${firstKeys.toLocaleString("en-US")} distinct keys by POST /mset, until Postgres has them`);
  const distinct = await measure(env, firstKeys, () => msetDistinct(wb, firstKeys, (i) => `d:${i}`));
  // Every key is clean once its commit gave it its TTL (clean.lua, right after the commit).
  await Bun.sleep(1000);
  const bytesPerCleanKey = ((await usedMemory(env)) - memory0) / firstKeys;
  log(`redis cost: ${moreKeys.toLocaleString("en-US")} more distinct keys on top`);
  const more = await measure(env, moreKeys, () => msetDistinct(wb, moreKeys, (i) => `m:${i}`));
  await wb.stop();

  await env.client.flushall();
  await env.truncate();
  await env.settle();
  wb = await env.startWriteback();
  log(`redis cost: ${hotWrites.toLocaleString("en-US")} POST /set over 100 hot keys`);
  const hot = await measure(env, hotWrites, () => setHot(wb, hotWrites, 100));
  await wb.stop();
  await env.client.flushall();
  await env.truncate();
  return { distinct, more, hot, bytesPerCleanKey, firstKeys, moreKeys };
}

async function usedMemory(env: BenchEnv): Promise<number> {
  return Number(/^used_memory:(\d+)/m.exec(await env.client.info("memory"))?.[1] ?? 0);
}

/** The commandstats split as a line: the costliest commands per write. */
export function commandLine(c: RedisCost, top = 8): string {
  return c.commands
    .slice(0, top)
    .map((x) => `${x.command} ${x.usec.toFixed(2)} µs (${x.calls < 0.1 ? x.calls.toFixed(3) : x.calls.toFixed(2)} calls)`)
    .join(", ");
}
