// bun run check:model [--seconds 600] [--shrink-seconds 300] [--seed N] [--path P --replay-path R]
//                     [--ttl MS] [--without cut,slow,restart,redis,squeeze,evict] [--attempts 3] [--max-commands 60]
// The model check by hand: a long search (--seconds), or the replay of a seed or of a shrunk
// counterexample (--seed with --path, as a failure prints it). Exits 1 when it finds a violation.
import { parseArgs } from "node:util";
import { FAULTS } from "./commands";
import { checkModel } from "./runner";

const { values: a } = parseArgs({
  options: {
    seconds: { type: "string", default: "600" },
    "shrink-seconds": { type: "string", default: "300" },
    seed: { type: "string" },
    path: { type: "string" },
    "replay-path": { type: "string" },
    ttl: { type: "string" },
    without: { type: "string" },
    attempts: { type: "string", default: "3" },
    "max-commands": { type: "string", default: "60" },
  },
});
const num = (name: string, v: string | undefined) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`--${name} must be an integer, not ${v}`);
  return n;
};
for (const f of a.without?.split(",").filter(Boolean) ?? []) if (!FAULTS.includes(f)) throw new Error(`--without: no fault ${f} (${FAULTS.join(", ")})`);
const seed = num("seed", a.seed) ?? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
console.log(`model check: seed ${seed}${a.path ? ` path ${a.path}` : `, ${a.seconds} s`} (replay: bun run check:model --seed ${seed})`);
// Ctrl-C (or SIGTERM): finish the run in progress, clean up (service, redis-server, database) and report; a second one quits at once.
let stop = false;
for (const sig of ["SIGINT", "SIGTERM"] as const)
  process.on(sig, () => {
    if (stop) process.exit(130);
    stop = true;
    console.log("stopping after the run in progress…");
  });
const report = await checkModel({
  stopped: () => stop,
  seconds: num("seconds", a.seconds)!,
  shrinkSeconds: num("shrink-seconds", a["shrink-seconds"])!,
  seed,
  path: a.path,
  replayPath: a["replay-path"],
  ttlMs: num("ttl", a.ttl),
  without: a.without?.split(",").filter(Boolean),
  attempts: num("attempts", a.attempts)!,
  maxCommands: num("max-commands", a["max-commands"])!,
  log: (line) => console.log(line),
});
console.log(report.text);
process.exit(report.failed ? 1 : 0);
