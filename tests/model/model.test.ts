// The model check (tests/model/runner.ts) on a short budget: a new seed every run, printed with
// the command that replays it. The long search is by hand: bun run check:model --seconds 600.
// MODEL_SEED, MODEL_SECONDS and MODEL_WITHOUT (faults to leave out, e.g. "cut,redis") override
// the seed, the budget and the faults.
import { expect, setDefaultTimeout, test } from "bun:test";
import { checkModel } from "./runner";

const SECONDS = Number(process.env.MODEL_SECONDS ?? 60);
const SHRINK_SECONDS = 60;
// The search stops starting runs at its budget; a run in progress, the setup and the shrinking of a failure come on top.
setDefaultTimeout((SECONDS + SHRINK_SECONDS + 120) * 1000);

const without = process.env.MODEL_WITHOUT?.split(",").filter(Boolean) ?? [];
const seed = process.env.MODEL_SEED !== undefined ? Number(process.env.MODEL_SEED) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;

test(`model check of the binary: ${SECONDS} s of random programs with faults, checked against the per-key model`, async () => {
  const flags = without.length ? ` --without ${without.join(",")}` : "";
  console.log(`model check: seed ${seed} (replay: bun run check:model --seed ${seed} --seconds ${SECONDS}${flags})`);
  const report = await checkModel({ seconds: SECONDS, shrinkSeconds: SHRINK_SECONDS, seed, without, attempts: 3, maxCommands: 60, log: (line) => console.log(line) });
  console.log(report.text);
  expect(report.failed, report.text).toBe(false);
  // Not vacuous: the runs wrote, read and counted, and the checker judged what they saw.
  const t = report.totals;
  expect(t.runs).toBeGreaterThanOrEqual(3);
  expect(t.acked).toBeGreaterThanOrEqual(100);
  expect(t.readsChecked).toBeGreaterThanOrEqual(100);
  expect(t.incrsChecked).toBeGreaterThanOrEqual(20);
  expect(t.faults).toBeGreaterThanOrEqual(20);
});
