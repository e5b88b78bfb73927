// Bun's native allocator (mimalloc) reads its options from the environment once, when the
// process starts. By default it hands freed memory back to the operating system soon after
// it is freed. With a flusher that reads, writes and frees tens of megabytes a second, the
// allocator's and the runtime's helper threads then used 9.5 µs of CPU per drained entry
// beside the flusher threads' 13 µs; with MIMALLOC_PURGE_DELAY=-1 writeback's whole CPU per
// entry fell from 28 to 12-15 µs, the drain rose 1.3-1.4x and POST /set about 1.25x
// (bench/README.md; a purge delay of 1 s or 10 s, or purging without decommitting, did not
// help). So, unless MIMALLOC_PURGE_DELAY is set already, the service replaces itself once, at
// start, with the same program, arguments and pid and MIMALLOC_PURGE_DELAY=-1 (keep freed
// memory for reuse). The price: the process keeps its high-water mark (after a drain of 1M
// writes, 435 MiB instead of 130 MiB). Setting MIMALLOC_PURGE_DELAY yourself (10 is
// mimalloc's own default) chooses the other way.
//
// This module is imported for that side effect alone, first thing in main.ts (ES modules
// run in import order), so the process is replaced before any other module is even loaded.
import { command } from "./command";

if (command === "serve" && process.env.MIMALLOC_PURGE_DELAY === undefined && process.platform !== "win32") {
  // A compiled binary's argv[1] is its embedded entry point, not an argument to pass on.
  const compiled = Bun.main.startsWith("/$bunfs/");
  const args = compiled ? process.argv.slice(2) : [...process.execArgv, ...process.argv.slice(1)];
  try {
    process.execve?.(process.execPath, [process.execPath, ...args], { ...process.env, MIMALLOC_PURGE_DELAY: "-1" });
  } catch {
    // Cannot re-execute (a sandbox, say): run as is, with the allocator's defaults.
  }
}
