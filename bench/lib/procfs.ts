// CPU time and memory of processes, read from /proc: how the bench says where the time goes.
import { readdirSync, readFileSync } from "node:fs";

const TICK_US = 1_000_000 / 100; // USER_HZ is 100 on Linux

/** User + system CPU in a /proc/<pid>[/task/<tid>]/stat text, in microseconds. */
function statCpuMicros(stat: string): number {
  // Fields after the ")" that closes the command name: utime is the 12th, stime the 13th.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * TICK_US;
}

/** User + system CPU of a process (all its threads), in microseconds; 0 once it is gone. */
export function cpuMicros(pid: number): number {
  try {
    return statCpuMicros(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return 0;
  }
}

/** User + system CPU of each thread of a process, in microseconds, by "<thread name>/<tid>". */
export function threadCpuMicros(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      out.set(`${stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"))}/${tid}`, statCpuMicros(stat));
    } catch {
      // the thread ended
    }
  }
  return out;
}

/** User + system CPU an exited child used, in microseconds (from its rusage). */
export function childCpuMicros(proc: {
  resourceUsage(): { cpuTime: { user: number | bigint; system: number | bigint } } | undefined;
}): number {
  const usage = proc.resourceUsage();
  return usage ? Number(usage.cpuTime.user) + Number(usage.cpuTime.system) : 0;
}

export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Every process whose command name is `comm` (e.g. all of Postgres's backends). */
export function pidsNamed(comm: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, "utf8").trim() === comm) out.push(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

export type Group = Record<string, () => number[]>;

/** CPU used by named groups of processes between `start()` and `stop()`. */
export class CpuMeter {
  private before = new Map<number, number>();
  constructor(private groups: Group) {}

  start(): this {
    this.before.clear();
    for (const pids of Object.values(this.groups)) for (const pid of pids()) this.before.set(pid, cpuMicros(pid));
    return this;
  }

  /** Microseconds of CPU per group since start() (processes started since count from 0). */
  stop(): Record<string, number> {
    const used: Record<string, number> = {};
    for (const [name, pids] of Object.entries(this.groups)) {
      used[name] = pids().reduce((sum, pid) => sum + Math.max(0, cpuMicros(pid) - (this.before.get(pid) ?? 0)), 0);
    }
    return used;
  }
}

/** Highest RSS of a process, sampled every `everyMs` until stop(). */
export function sampleMaxRss(pid: number, everyMs = 100): { stop: () => number } {
  let max = rssBytes(pid);
  const timer = setInterval(() => (max = Math.max(max, rssBytes(pid))), everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(max, rssBytes(pid));
    },
  };
}

export function machine(): { cpu: string; cores: number; memGiB: number; kernel: string } {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const mem = /MemTotal:\s+(\d+) kB/.exec(readFileSync("/proc/meminfo", "utf8"));
  return {
    cpu: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1]?.trim() ?? "unknown",
    cores: navigator.hardwareConcurrency,
    memGiB: Math.round(Number(mem?.[1] ?? 0) / 1024 / 1024),
    kernel: readFileSync("/proc/sys/kernel/osrelease", "utf8").trim(),
  };
}
