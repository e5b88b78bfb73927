// bun run check:model [--seconds 600] [--shrink-seconds 300] [--seed N] [--path P --replay-path R]
//                     [--ttl MS] [--attempts 3] [--max-commands 60]
// The model check by hand: a long search (--seconds), or the replay of a seed or of a shrunk
// counterexample (--seed with --path, as a failure prints it). Exits 1 when it finds a violation.
import { parseArgs } from "node:util";
import { checkModel } from "./runner";

const { values: a } = parseArgs({
  options: {
    seconds: { type: "string", default: "600" },
    "shrink-seconds": { type: "string", default: "300" },
    seed: { type: "string" },
    path: { type: "string" },
    "replay-path": { type: "string" },
    ttl: { type: "string" },
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
const seed = num("seed", a.seed) ?? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
console.log(`model check: seed ${seed}${a.path ? ` path ${a.path}` : `, ${a.seconds} s`} (replay: bun run check:model --seed ${seed})`);
const report = await checkModel({
  seconds: num("seconds", a.seconds)!,
  shrinkSeconds: num("shrink-seconds", a["shrink-seconds"])!,
  seed,
  path: a.path,
  replayPath: a["replay-path"],
  ttlMs: num("ttl", a.ttl),
  attempts: num("attempts", a.attempts)!,
  maxCommands: num("max-commands", a["max-commands"])!,
  log: (line) => console.log(line),
});
console.log(report.text);
process.exit(report.failed ? 1 : 0);
