// The model check: fast-check generates programs (commands.ts) from a seed, each run plays one
// against the compiled binary with faults (world.ts), then heals the faults, waits for the
// database to catch up and checks the history (check.ts). A failing program is shrunk by
// fast-check; since a failure depends on timing too, while shrinking (and when replaying) a
// program counts as passing only after `attempts` runs without a violation.
import fc from "fast-check";
import { checkHistory, type Stats, type Violation } from "./check";
import { formatHistory } from "./history";
import { outcomeOf } from "./outcome";
import { program, Run, runParams, type RunParams } from "./commands";
import { World } from "./world";

export interface Options {
  /** time to search for a failing program */
  seconds: number;
  /** time to shrink one, once found */
  shrinkSeconds: number;
  seed: number;
  /** fast-check's path (and the commands' replay path) of a counterexample: replay only it */
  path?: string;
  replayPath?: string;
  /** faults left out of the programs (commands.ts FAULTS) */
  without?: string[];
  /** CACHE_TTL_MS of every run; unset: drawn per run */
  ttlMs?: number;
  attempts: number;
  maxCommands: number;
  log: (line: string) => void;
  /** true: start no more runs (a Ctrl-C), report what there is */
  stopped?: () => boolean;
}

export interface RunResult {
  params: RunParams;
  violations: Violation[];
  stats: Stats;
  history: string;
  ms: number;
}

export interface Report {
  seed: number;
  failed: boolean;
  runs: number;
  seconds: number;
  totals: Stats & { runs: number; redisEvicted: number; faultsByKind: Record<string, number>; violationsByRule: Record<string, number> };
  /** set when it failed */
  failure?: {
    afterRuns: number;
    afterSeconds: number;
    shrinks: number;
    path: string;
    replayPath?: string;
    counterexample: string;
    last: RunResult;
  };
  /** the text to print */
  text: string;
}

/**
 * Waits until the database holds, for every key, at least the newest version a write was
 * acknowledged with or a read answered (an unknown write that landed is persisted too).
 */
async function caughtUp(world: World, run: Run, ms = 30_000): Promise<void> {
  const want = new Map<string, number>();
  for (const op of run.ops)
    if (outcomeOf(op) === "ok")
      for (const it of op.items) if (it.version !== undefined && it.version > (want.get(it.key) ?? 0)) want.set(it.key, it.version);
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const rows = await world.rows(run.keys);
    if ([...want].every(([k, v]) => (rows.get(k)?.version ?? 0) >= v)) return;
    await Bun.sleep(50);
  }
}

async function runOnce(world: World, id: number, params: RunParams, cmds: Iterable<fc.AsyncCommand<{ dbCut: boolean }, Run>>): Promise<RunResult> {
  const started = performance.now();
  world.reseed(params.noise);
  await world.heal();
  await world.restart({ ttlMs: params.ttlMs, lingerMs: params.lingerMs });
  world.slowDb(params.slow, params.slowMs);
  const run = new Run(world, id);
  const t1 = performance.now();
  await fc.asyncModelRun(() => ({ model: { dbCut: false }, real: run }), cmds);
  await run.settle();
  const t2 = performance.now();
  await run.fault("heal: database back and fast, service up", () => world.heal());
  await run.finalReads();
  const t3 = performance.now();
  await caughtUp(world, run);
  const t4 = performance.now();
  // MODEL_DEBUG=1: where a run's time goes
  if (process.env.MODEL_DEBUG) console.log(`  phases: start ${(t1 - started).toFixed(0)} program ${(t2 - t1).toFixed(0)} heal+final ${(t3 - t2).toFixed(0)} caughtUp ${(t4 - t3).toFixed(0)}`);
  const { violations, stats } = checkHistory(run.ops, run.keys, await world.rows(run.keys));
  for (const exit of world.takeExits()) violations.push({ rule: "service-exit", message: exit, ops: [] });
  const marked = new Set(violations.flatMap((v) => v.ops));
  return { params, violations, stats, history: formatHistory(run.ops, marked), ms: performance.now() - started };
}

const describeParams = (p: RunParams) =>
  `CACHE_TTL_MS=${p.ttlMs} FLUSH_LINGER_MS=${p.lingerMs} slow database=${p.slow === "none" ? "none" : `${p.slow} ${p.slowMs / 2}-${p.slowMs}ms`}`;

export async function checkModel(o: Options): Promise<Report> {
  const world = await World.open();
  const t0 = Date.now();
  const searchDeadline = t0 + o.seconds * 1000;
  let failedAt: number | undefined;
  let failedAfterRuns = 0;
  let last: RunResult | undefined;
  let runs = 0;
  let evictedAtStart = 0;
  const totals: Report["totals"] = {
    runs: 0, ops: 0, faults: 0, acked: 0, unknown: 0, failed: 0, readsChecked: 0, incrsChecked: 0, incrsUnchecked: 0, redisEvicted: 0, faultsByKind: {}, violationsByRule: {},
  };
  try {
    evictedAtStart = await world.evictedByRedis();
    // The program first: fast-check shrinks a tuple's parts in order, and the program is what should get short.
    const property = fc.asyncProperty(program(o.maxCommands, o.without, o.replayPath), runParams(o.ttlMs), async (cmds, params) => {
      const now = Date.now();
      if (o.stopped?.()) throw new fc.PreconditionFailure(true);
      if (failedAt === undefined && now > searchDeadline && !o.path) throw new fc.PreconditionFailure(true);
      if (failedAt !== undefined && now > failedAt + o.shrinkSeconds * 1000) throw new fc.PreconditionFailure(true);
      const tries = failedAt !== undefined || o.path ? o.attempts : 1;
      for (let t = 0; t < tries; t++) {
        const r = await runOnce(world, ++runs, params, cmds);
        totals.runs++;
        for (const k of ["ops", "faults", "acked", "unknown", "failed", "readsChecked", "incrsChecked", "incrsUnchecked"] as const) totals[k] += r.stats[k];
        const verdict = r.violations.length ? `FAILED (${r.violations.length} violations)` : "ok";
        o.log(`run ${runs}${failedAt !== undefined ? " (shrinking)" : ""}: ${r.stats.ops} ops, ${r.stats.faults} faults, ${describeParams(params)}: ${verdict} in ${(r.ms / 1000).toFixed(1)} s`);
        for (const v of r.violations) totals.violationsByRule[v.rule] = (totals.violationsByRule[v.rule] ?? 0) + 1;
        if (r.violations.length) {
          if (failedAt === undefined) {
            failedAt = Date.now();
            failedAfterRuns = runs;
          }
          last = r;
          throw new Error(r.violations.map((v) => v.message).join("\n"));
        }
      }
    });
    const details = await fc.check(property, {
      seed: o.seed,
      numRuns: o.path ? 1 : 1_000_000,
      path: o.path,
      endOnFailure: o.path !== undefined,
    });
    totals.redisEvicted = (await world.evictedByRedis()) - evictedAtStart;
    Object.assign(totals.faultsByKind, world.counts);
    const seconds = (Date.now() - t0) / 1000;
    const failed = details.failed && last !== undefined;
    const report: Report = { seed: o.seed, failed, runs, seconds, totals, text: "" };
    if (failed) {
      const counterexample = fc.stringify(details.counterexample);
      report.failure = {
        afterRuns: failedAfterRuns,
        afterSeconds: (failedAt! - t0) / 1000,
        shrinks: details.numShrinks,
        path: details.counterexamplePath!,
        replayPath: /replayPath=\\?"([^"\\]*)/.exec(counterexample)?.[1],
        counterexample,
        last: last!,
      };
    } else if (details.failed) {
      throw new Error(`the model check itself failed: ${fc.defaultReportMessage(details)}`);
    }
    report.text = render(report, o);
    return report;
  } finally {
    await world.close();
  }
}

function render(r: Report, o: Options): string {
  const t = r.totals;
  const faults = Object.entries(t.faultsByKind).map(([k, n]) => `${k} ${n}`).join(", ");
  const summary = [
    `${r.runs} runs in ${r.seconds.toFixed(0)} s: ${t.ops} operations (${t.acked} writes acknowledged, ${t.unknown} unknown, ${t.failed} refused), ` +
      `${t.readsChecked} reads checked, ${t.incrsChecked} increments checked (${t.incrsUnchecked} unchecked); ` +
      `${t.faults} faults and pauses (${faults}); Redis evicted ${t.redisEvicted} keys` +
      (Object.keys(t.violationsByRule).length ? `; violations in all runs: ${Object.entries(t.violationsByRule).map(([k, n]) => `${k} ${n}`).join(", ")}` : ""),
  ];
  const ttl = (o.ttlMs !== undefined ? ` --ttl ${o.ttlMs}` : "") + (o.without?.length ? ` --without ${o.without.join(",")}` : "");
  if (!r.failed && o.path) return `the program at --path ${o.path} (seed ${r.seed}) ran ${r.runs} times without a violation: ${summary[0]}`;
  if (!r.failed) return [`model check passed (seed ${r.seed}): ${summary[0]}`, `replay: bun run check:model --seed ${r.seed} --seconds ${o.seconds}${ttl}`].join("\n");
  const f = r.failure!;
  const replay = `bun run check:model --seed ${r.seed} --path ${f.path}${f.replayPath ? ` --replay-path '${f.replayPath}'` : ""}${ttl}`;
  return [
    `MODEL CHECK FAILED (seed ${r.seed}): first failure after ${f.afterRuns} runs (${f.afterSeconds.toFixed(0)} s), shrunk ${f.shrinks} times.`,
    `replay the shrunk program: ${replay}`,
    `replay the search:         bun run check:model --seed ${r.seed} --seconds ${o.seconds}${ttl}`,
    `counterexample: ${f.counterexample}`,
    `run settings: ${describeParams(f.last.params)}`,
    "violations:",
    ...f.last.violations.map((v) => `  [${v.rule}] ${v.message}`),
    "history of the last failing run:",
    f.last.history,
    summary[0],
  ].join("\n");
}
