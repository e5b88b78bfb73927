// The command line (src/command.ts), and where the flusher thread's entry point is found
// (src/thread-url.ts: it resolves only from the root of src/, so moving it must fail here).
import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseCommand } from "../../src/command";
import { FLUSHER_THREAD_URL } from "../../src/thread-url";

test.each([
  [["bun", "main.ts"], "serve"],
  [["bun", "main.ts", "--help"], "help"],
  [["bun", "main.ts", "-h"], "help"],
  [["writeback", "/$bunfs/root/writeback", "healthcheck"], "healthcheck"],
  [["bun", "main.ts", "healthcheck", "--help"], "help"],
  [["bun", "main.ts", "other"], "serve"],
])("%p is %s", (argv, want) => {
  expect(parseCommand(argv)).toBe(want as never);
});

test("the flusher thread's entry point resolves to src/flusher/thread.ts", () => {
  expect(fileURLToPath(FLUSHER_THREAD_URL)).toEndWith("/src/flusher/thread.ts");
  expect(existsSync(FLUSHER_THREAD_URL)).toBe(true);
});
