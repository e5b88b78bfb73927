// Every Lua script, in one table: its file, how many keys it takes (undefined: the key count
// comes first in each call), assembled once at load. Pieces several scripts share live once in
// src/cache/include/ (as BullMQ's includes/ do): a line `--!include <name>` is replaced by
// include/<name>.lua, and `--!const <NAME>` by `local <NAME> = <value>` from the TypeScript
// constant that is the rule's one home. Each script's header documents its KEYS and ARGV;
// tests/unit/scripts.test.ts checks the header against the code and this table.
import { INLINE_MAX } from "./entry";
import setLua from "./set.lua" with { type: "text" };
import redriveLua from "./redrive.lua" with { type: "text" };
import fillLua from "./fill.lua" with { type: "text" };
import fenceLua from "./fence.lua" with { type: "text" };
import incrLua from "./incr.lua" with { type: "text" };
import leaseLua from "./lease.lua" with { type: "text" };
import valuesLua from "./values.lua" with { type: "text" };
import retireLua from "./retire.lua" with { type: "text" };
import membersLua from "./members.lua" with { type: "text" };
import claimLua from "./claim.lua" with { type: "text" };
import renewLua from "./renew.lua" with { type: "text" };
import releaseLua from "./release.lua" with { type: "text" };
import lapseLua from "./lapse.lua" with { type: "text" };
import suspectLua from "./suspect.lua" with { type: "text" };
import commitLua from "./commit.lua" with { type: "text" };
import cleanLua from "./clean.lua" with { type: "text" };
import clockLua from "./include/clock.lua" with { type: "text" };
import backpressureLua from "./include/backpressure.lua" with { type: "text" };
import idsLua from "./include/ids.lua" with { type: "text" };
import fenceIncludeLua from "./include/fence.lua" with { type: "text" };
import leaseIncludeLua from "./include/lease.lua" with { type: "text" };

export const INCLUDES: Record<string, string> = { clock: clockLua, backpressure: backpressureLua, ids: idsLua, fence: fenceIncludeLua, lease: leaseIncludeLua };
export const CONSTS: Record<string, number> = { INLINE_MAX };

/** A script's text with its includes and constants in place. */
export function assemble(text: string): string {
  return text
    .replace(/^--!include (\w+)[ \t]*$/gm, (_, name: string) => {
      const piece = INCLUDES[name];
      if (piece === undefined) throw new Error(`no include ${name}`);
      return piece.trimEnd();
    })
    .replace(/^--!const (\w+)[ \t]*$/gm, (_, name: string) => {
      const value = CONSTS[name];
      if (value === undefined) throw new Error(`no constant ${name}`);
      return `local ${name} = ${value}`;
    });
}

export interface ScriptDef {
  /** the file under src/cache/, as written */
  source: string;
  /** keys per call; undefined: the key count comes first in each call */
  keys?: number;
}

export const SCRIPTS = {
  wbSet: { source: setLua },
  wbFill: { source: fillLua, keys: 2 },
  wbFence: { source: fenceLua, keys: 1 },
  wbIncr: { source: incrLua, keys: 3 },
  wbRedrive: { source: redriveLua, keys: 2 },
  wbLease: { source: leaseLua, keys: 1 },
  wbValues: { source: valuesLua },
  wbRetire: { source: retireLua, keys: 2 },
  wbMembers: { source: membersLua, keys: 1 },
  wbClaim: { source: claimLua, keys: 3 },
  wbRenew: { source: renewLua },
  wbRelease: { source: releaseLua },
  wbLapse: { source: lapseLua, keys: 1 },
  wbSuspect: { source: suspectLua, keys: 2 },
  wbCommit: { source: commitLua },
  wbClean: { source: cleanLua },
} satisfies Record<string, ScriptDef>;

/** What ioredis's defineCommand takes, per script. */
export const DEFINED = Object.fromEntries(
  Object.entries(SCRIPTS).map(([name, s]) => [name, { lua: assemble(s.source), ...("keys" in s ? { numberOfKeys: s.keys } : {}) }]),
) as Record<keyof typeof SCRIPTS, { lua: string; numberOfKeys?: number }>;
