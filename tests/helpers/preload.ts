// Loaded before any test file (bunfig.toml [test] preload). Two jobs:
//
// 1. The services the suite needs are checked once, up front: a run with one of them missing
//    stops within seconds naming it and the variable that points at it, instead of every file
//    failing slowly on its own (services.ts).
// 2. Quiet runs: what the services under test log (the binary's output, startService keeps it;
//    the in-process service's log lines) is shown only for a test that failed. bun:test has no
//    hook that knows a test's outcome, so this file wraps `test` (and `it`) for every test file:
//    a test whose body did not finish (an assertion, an error, a timeout) prints the logs of
//    the services it ran after its error.
import * as bunTest from "bun:test";
import { logTo } from "../../src/log";
import { started } from "../../src/testing/process";
import { checkServices } from "./check-services";

// --- 1. services -------------------------------------------------------------------------
// The unit tier (tests/unit/) needs none: a run of only those files checks nothing.
const files = process.argv.slice(1).filter((a) => /\.test\.[cm]?[jt]sx?$/.test(a));
if (files.length === 0 || !files.every((f) => /[\\/]tests[\\/]unit[\\/]/.test(f))) {
  const missing = await checkServices();
  if (missing.length > 0) throw new Error(missing.join("\n"));
}

// --- 2. logs of failing tests only -----------------------------------------------------
let current: { finished: boolean } | undefined;
/** where each process's output stood when the test began (processes started before it: beforeAll) */
const marks = new Map<object, number>();
const inProcess: string[] = [];
logTo((line) => void inProcess.push(line));

type Fn = (...args: unknown[]) => unknown;
function wrapBody(fn: unknown): unknown {
  if (typeof fn !== "function") return fn;
  return async function (this: unknown, ...args: unknown[]) {
    const mine: { finished: boolean } = { finished: false };
    current = mine;
    const result = await (fn as Fn).apply(this, args);
    mine.finished = true;
    return result;
  };
}
/** `test`, `test.each(rows)`, `test.skipIf(c)`, ...: every call whose second argument is a test body gets it wrapped. */
function wrapTest<T extends object>(t: T): T {
  return new Proxy(t, {
    apply(target, self, args: unknown[]) {
      if (typeof args[1] === "function") args[1] = wrapBody(args[1]);
      const result = Reflect.apply(target as Fn, self, args);
      return typeof result === "function" ? wrapTest(result) : result;
    },
    get(target, prop) {
      const v = Reflect.get(target, prop);
      return typeof v === "function" ? wrapTest(v.bind(target)) : v;
    },
  });
}
bunTest.mock.module("bun:test", () => ({ ...bunTest, test: wrapTest(bunTest.test), it: wrapTest(bunTest.it) }));

bunTest.beforeEach(() => {
  for (const r of started) if (r.proc.exitCode !== null || r.proc.signalCode !== null) started.delete(r);
  current = undefined;
  inProcess.length = 0;
  marks.clear();
  for (const r of started) marks.set(r, r.output().length);
});

bunTest.afterEach(() => {
  const failed = current !== undefined && !current.finished;
  if (failed) {
    const parts: string[] = [];
    for (const r of started) {
      const out = r.output().slice(marks.get(r) ?? 0).trimEnd();
      if (out) parts.push(`--- writeback pid ${r.proc.pid} (port ${r.port}) printed:\n${out}`);
    }
    if (inProcess.length > 0) parts.push(`--- the in-process service logged:\n${inProcess.join("\n")}`);
    if (parts.length > 0) process.stderr.write(`\n${parts.join("\n")}\n--- end of the failed test's service logs\n`);
  }
  for (const r of started) if (r.proc.exitCode !== null || r.proc.signalCode !== null) started.delete(r);
  inProcess.length = 0;
  current = undefined;
});
