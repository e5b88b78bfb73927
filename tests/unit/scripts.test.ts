// Every Lua script as Redis will run it (assembled with its includes, scripts.ts), checked
// against its own header: the header documents each KEYS[i] and ARGV[i] the code reads, and a
// script called with a fixed key count documents exactly that many keys. No service needed.
import { describe, expect, test } from "bun:test";
import { DEFINED, INCLUDES, SCRIPTS, assemble } from "../../src/cache/scripts";

type Refs = { fixed: Set<number>; ranges: { from: number; open: boolean }[] };

/** KEYS / ARGV indexes a text mentions: KEYS[3] fixed; KEYS[1..s], KEYS[s+1..] ranges (open past a variable). */
function refs(text: string, name: "KEYS" | "ARGV"): Refs {
  const out: Refs = { fixed: new Set(), ranges: [] };
  for (const m of text.matchAll(new RegExp(`${name}\\[([^\\]]+)\\]`, "g"))) {
    const inner = m[1]!.trim();
    if (/^\d+$/.test(inner)) out.fixed.add(Number(inner));
    else {
      const from = /^(\d+)\.\./.exec(inner);
      out.ranges.push({ from: from ? Number(from[1]) : 1, open: true });
    }
  }
  return out;
}

const comments = (lua: string) =>
  lua
    .split("\n")
    .filter((l) => l.trimStart().startsWith("--"))
    .join("\n");
const code = (lua: string) =>
  lua
    .split("\n")
    .map((l) => l.replace(/--.*$/, ""))
    .join("\n");

/** The header: the comment lines at the top of a script's own file, before its first line of code. */
function header(source: string): string {
  const lines: string[] = [];
  for (const l of source.split("\n").slice(1)) {
    if (!l.trimStart().startsWith("--")) break;
    lines.push(l);
  }
  return lines.join("\n");
}

describe("Lua scripts", () => {
  for (const [name, def] of Object.entries(SCRIPTS)) {
    const source: string = def.source;
    const assembled = DEFINED[name as keyof typeof SCRIPTS].lua;
    const keys = (def as { keys?: number }).keys;

    test(`${name}: assembled with every include and constant, the shebang still first`, () => {
      expect(assembled.split("\n")[0]).toMatch(/^#!lua( flags=[\w,-]+)?$/);
      expect(assembled).not.toMatch(/^--!/m);
    });

    test(`${name}: its header documents every KEYS and ARGV index the code reads${keys === undefined ? "" : `, and its ${keys} keys exactly`}`, () => {
      const doc = { keys: refs(comments(header(source)), "KEYS"), argv: refs(comments(header(source)), "ARGV") };
      const used = { keys: refs(code(assembled), "KEYS"), argv: refs(code(assembled), "ARGV") };
      const documented = (d: Refs, i: number) => d.fixed.has(i) || d.ranges.some((r) => i >= r.from);
      for (const i of used.keys.fixed) expect([name, `KEYS[${i}]`, documented(doc.keys, i)]).toEqual([name, `KEYS[${i}]`, true]);
      for (const i of used.argv.fixed) expect([name, `ARGV[${i}]`, documented(doc.argv, i)]).toEqual([name, `ARGV[${i}]`, true]);
      if (keys === undefined) {
        // The key count comes first in each call: the header documents a range of keys.
        expect([name, doc.keys.ranges.length > 0]).toEqual([name, true]);
      } else {
        expect([name, [...doc.keys.fixed].sort((a, b) => a - b), doc.keys.ranges]).toEqual([name, Array.from({ length: keys }, (_, i) => i + 1), []]);
        for (const i of used.keys.fixed) expect([name, i <= keys]).toEqual([name, true]);
      }
    });
  }

  test("an include or constant that does not exist stops the assembly", () => {
    expect(() => assemble("#!lua\n--!include nothing\n")).toThrow("no include nothing");
    expect(() => assemble("#!lua\n--!const NOTHING\n")).toThrow("no constant NOTHING");
  });

  test("every include is used by some script", () => {
    for (const name of Object.keys(INCLUDES)) {
      expect([name, Object.values(SCRIPTS).some((s) => s.source.includes(`--!include ${name}\n`))]).toEqual([name, true]);
    }
  });
});
