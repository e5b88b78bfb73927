// What the model-based checker records: one entry per operation a client issued (or fault the
// nemesis injected), with what was asked, when it started and ended (ms since the run began,
// on this process's clock) and what came back. The checker (check.ts) judges these entries;
// nothing here decides what an answer means.

export type OpKind = "set" | "del" | "incr" | "mset" | "mdel" | "get" | "mget" | "status" | "fault";

/** One key's part of an answer. */
export interface Item {
  key: string;
  /** reads and incr: the value answered */
  value?: string;
  version?: number;
  /** reads: false for a 404 or `found: false` */
  found?: boolean;
  /** reads: which store answered (the answer's `source`) */
  from?: "cache" | "db";
  /** status: the answer's persistedVersion */
  persistedVersion?: number | null;
  /** status: answered by Redis alone, the database not asked (`"database": "unavailable"`) */
  redisOnly?: boolean;
}

export interface Op {
  id: number;
  /** the client that issued it; -1 for the nemesis (faults) */
  client: number;
  kind: OpKind;
  keys: string[];
  /** set and mset: the value written to each key */
  values?: string[];
  /** incr */
  by?: number;
  /** reads */
  source?: "cache" | "db";
  /** writes: ?wait=persisted&timeout_ms= */
  waitMs?: number;
  /** faults: what was done */
  fault?: string;
  start: number;
  end: number;
  /** HTTP status; undefined when no answer came (connection error, timeout) */
  status?: number;
  /** the error body's code, or the transport error's (ECONNREFUSED, ECONNRESET, TimeoutError) */
  code?: string;
  /** writes with wait: the answer's `persisted` */
  persisted?: boolean;
  items: Item[];
}

/** A database row at the end of a run: `value` null is a tombstone. */
export interface Row {
  value: string | null;
  version: number;
}

export class History {
  readonly ops: Op[] = [];
  private readonly t0 = performance.now();

  now(): number {
    return performance.now() - this.t0;
  }

  /** Starts an entry; the caller fills in the answer and `end`. */
  begin(client: number, kind: OpKind, o: Partial<Op> = {}): Op {
    const op: Op = { id: this.ops.length + 1, client, kind, keys: [], items: [], start: this.now(), end: Number.NaN, ...o };
    this.ops.push(op);
    return op;
  }
}

const short = (key: string) => key.slice(key.lastIndexOf(":") + 1);

/** Versions are microseconds of Redis's clock: shown as offsets from the run's smallest. */
export function versionBase(ops: Op[]): number {
  let base = Number.POSITIVE_INFINITY;
  for (const op of ops) for (const it of op.items) for (const v of [it.version, it.persistedVersion]) if (typeof v === "number" && v < base) base = v;
  return Number.isFinite(base) ? base : 0;
}

export const showVersion = (v: number | null | undefined, base: number) => (v == null ? String(v) : `v+${v - base}`);

function asked(op: Op): string {
  const ks = op.keys.map(short);
  const wait = op.waitMs !== undefined ? ` wait=${op.waitMs}ms` : "";
  switch (op.kind) {
    case "set":
      return `set    ${ks[0]}=${op.values![0]}${wait}`;
    case "mset":
      return `mset   ${ks.map((k, i) => `${k}=${op.values![i]}`).join(" ")}${wait}`;
    case "del":
      return `del    ${ks[0]}${wait}`;
    case "mdel":
      return `mdel   ${ks.join(" ")}${wait}`;
    case "incr":
      return `incr   ${ks[0]} by=${op.by}${wait}`;
    case "get":
      return `get    ${ks[0]} source=${op.source}`;
    case "mget":
      return `mget   ${ks.join(" ")} source=${op.source}`;
    case "status":
      return `status ${ks[0]}`;
    case "fault":
      return `FAULT  ${op.fault}`;
  }
}

function answered(op: Op, base: number): string {
  if (op.kind === "fault") return "";
  if (op.status === undefined) return `→ no answer (${op.code ?? "?"})`;
  let out = `→ ${op.status}${op.code ? ` ${op.code}` : ""}`;
  if (op.status !== 200 && op.status !== 202) return out;
  const item = (it: Item) => {
    if (op.kind === "status") return `${showVersion(it.version, base)} persisted=${showVersion(it.persistedVersion, base)}${it.redisOnly ? " (Redis alone)" : ""}`;
    if (it.found === false) return "not found";
    const parts = [];
    if (it.value !== undefined && op.kind !== "set" && op.kind !== "mset") parts.push(`value=${it.value}`);
    parts.push(showVersion(it.version, base));
    if (it.from) parts.push(`from ${it.from}`);
    return parts.join(" ");
  };
  const many = op.items.length > 1;
  out += " " + op.items.map((it) => (many ? `${short(it.key)}:${item(it)}` : item(it))).join(", ");
  if (op.persisted !== undefined) out += op.persisted ? " persisted" : " not persisted yet";
  return out;
}

/** One line per operation: id, client, start→end, what was asked, what came back. */
export function formatOp(op: Op, base: number, mark = ""): string {
  const who = op.client < 0 ? "nemesis" : `c${op.client}`;
  const time = `${op.start.toFixed(1).padStart(8)} →${Number.isNaN(op.end) ? "       ?" : op.end.toFixed(1).padStart(8)} ms`;
  return `${mark.padEnd(2)}#${String(op.id).padStart(3)} ${who.padEnd(7)} ${time}  ${asked(op).padEnd(34)} ${answered(op, base)}`.trimEnd();
}

export function formatHistory(ops: Op[], marked: Set<number> = new Set()): string {
  const base = versionBase(ops);
  const lines = [`(times in ms since the run began; versions as v+<µs> after ${base}; !! marks the operations a violation names)`];
  for (const op of ops) lines.push(formatOp(op, base, marked.has(op.id) ? "!!" : ""));
  return lines.join("\n");
}
