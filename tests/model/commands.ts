// The programs the model check runs, as fast-check commands (fc.commands shrinks them by
// dropping and simplifying commands): client operations and faults. Clients run concurrently:
// a client's operation starts once that client's previous one has answered, and the program
// goes on meanwhile, so up to one operation per client is in flight while the next commands
// (other clients' operations, pauses, faults) run.
import fc from "fast-check";
import { History, type Op } from "./history";
import { perform } from "./client";
import type { SlowTarget } from "./proxy";
import type { World } from "./world";

export const CLIENTS = 3;
export const KEYS = 3;

/** What the program tracks of the world, for the commands' preconditions. */
export interface Model {
  dbCut: boolean;
}

export type OpKind = "set" | "del" | "incr" | "mset" | "mdel" | "get" | "mget" | "status";
export interface OpSpec {
  kind: OpKind;
  /** indices into the run's keys */
  keys: number[];
  by?: number;
  source?: "cache" | "db";
  waitMs?: number;
}

/** One run's state: its keys, its clients' operations in flight, its history. */
export class Run {
  readonly history = new History();
  readonly keys: string[];
  private busy: Promise<void>[] = Array.from({ length: CLIENTS + 1 }, () => Promise.resolve());
  private written = 0;

  constructor(
    readonly world: World,
    id: number,
  ) {
    this.keys = Array.from({ length: KEYS }, (_, i) => `r${id}:k${i}`);
  }

  /** Starts `spec` as `client`'s next operation, once its previous one has answered. */
  async issue(client: number, spec: OpSpec): Promise<void> {
    await this.busy[client];
    const keys = spec.keys.map((i) => this.keys[i]!);
    // Every value written is distinct within the run (a read names the write it saw), and an integer (incr counts on from it).
    const values = spec.kind === "set" || spec.kind === "mset" ? keys.map(() => String(++this.written * 1000)) : undefined;
    const op = this.history.begin(client, spec.kind, { keys, values, by: spec.by, source: spec.source, waitMs: spec.waitMs });
    this.busy[client] = perform(this.world.base, op, () => this.history.now());
  }

  /** Runs a fault, recorded in the history as the nemesis's. */
  async fault(what: string, act: () => unknown): Promise<void> {
    const op = this.history.begin(-1, "fault", { fault: what });
    await act();
    op.end = this.history.now();
  }

  /** Starts operations of several clients at once, each once that client's previous one has answered. */
  async issueAll(ops: [number, OpSpec][]): Promise<void> {
    await Promise.all(ops.map(([c]) => this.busy[c]));
    for (const [c, spec] of ops) await this.issue(c, spec);
  }

  /** Waits for every operation in flight. */
  async settle(): Promise<void> {
    await Promise.all(this.busy);
  }

  /** After the faults healed: a cache read and a status of every key, by a client of its own. */
  async finalReads(): Promise<void> {
    const client = CLIENTS;
    for (let i = 0; i < this.keys.length; i++) {
      await this.issue(client, { kind: "get", keys: [i], source: "cache" });
      await this.issue(client, { kind: "status", keys: [i] });
    }
    await this.settle();
  }

  get ops(): Op[] {
    return this.history.ops;
  }
}

type Cmd = fc.AsyncCommand<Model, Run>;
const name = (i: number) => `k${i}`;

class ClientOp implements Cmd {
  constructor(
    readonly client: number,
    readonly spec: OpSpec,
  ) {}
  check = () => true;
  run = (_m: Model, r: Run) => r.issue(this.client, this.spec);
  toString() {
    const s = this.spec;
    const extra = [s.by !== undefined ? `by=${s.by}` : "", s.source ? `source=${s.source}` : "", s.waitMs !== undefined ? `wait=${s.waitMs}` : ""].filter(Boolean);
    return `c${this.client} ${s.kind} ${s.keys.map(name).join(",")}${extra.length ? ` ${extra.join(" ")}` : ""}`;
  }
}

/** Several clients at once on one key: the collisions where features meet. */
class Burst implements Cmd {
  constructor(readonly ops: [number, OpSpec][]) {}
  check = () => true;
  run = (_m: Model, r: Run) => r.issueAll(this.ops);
  toString() {
    return `together(${this.ops.map(([c, s]) => new ClientOp(c, s).toString()).join("; ")})`;
  }
}

/** A command that is one fault (or a pause), with its name for the counterexample. */
const fault = (label: string, act: (r: Run, m: Model) => unknown, check: (m: Model) => boolean = () => true): Cmd => ({
  check,
  run: (m, r) => r.fault(label, () => act(r, m)),
  toString: () => label,
});

const key = fc.integer({ min: 0, max: KEYS - 1 });
const someKeys = fc.uniqueArray(key, { minLength: 1, maxLength: KEYS });
/**
 * Three writes in four wait for persistence: besides telling what the database holds, the
 * waits pace the clients, so keys fall quiet, their clean entries expire and reads and
 * increments go to the database (with one in five waiting, no run found the fill/incr race).
 */
const wait = fc.oneof({ weight: 1, arbitrary: fc.constant(undefined) }, { weight: 3, arbitrary: fc.constantFrom(100, 500, 1500) });
const source = fc.constantFrom<"cache" | "db">("cache", "cache", "db");
// Slow reads (the request pool's connections) weigh double: a read lagging the flush is where read-through and incr meet writes.
const slowTarget = fc.constantFrom<SlowTarget>("none", "reads", "reads", "writes", "all");
const slowMs = fc.constantFrom(50, 150, 300);

const opSpec: fc.Arbitrary<OpSpec> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("set" as const), keys: key.map((k) => [k]), waitMs: wait }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("del" as const), keys: key.map((k) => [k]), waitMs: wait }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("incr" as const), keys: key.map((k) => [k]), by: fc.integer({ min: -3, max: 5 }), waitMs: wait }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("mset" as const), keys: someKeys, waitMs: wait }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("mdel" as const), keys: someKeys, waitMs: wait }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("get" as const), keys: key.map((k) => [k]), source }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("mget" as const), keys: someKeys, source }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("status" as const), keys: key.map((k) => [k]) }) },
);

/** A single-key operation on key `k`. */
const opOn = (k: number): fc.Arbitrary<OpSpec> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("set" as const), keys: fc.constant(k).map((x) => [x]), waitMs: wait }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("del" as const), keys: fc.constant(k).map((x) => [x]), waitMs: wait }) },
    { weight: 5, arbitrary: fc.record({ kind: fc.constant("incr" as const), keys: fc.constant(k).map((x) => [x]), by: fc.integer({ min: -3, max: 5 }), waitMs: wait }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("get" as const), keys: fc.constant(k).map((x) => [x]), source }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("status" as const), keys: fc.constant(k).map((x) => [x]) }) },
  );

const burst = key.chain((k) =>
  fc
    .uniqueArray(fc.integer({ min: 0, max: CLIENTS - 1 }), { minLength: 2, maxLength: CLIENTS })
    .chain((clients) => fc.tuple(...clients.map((c) => opOn(k).map((s): [number, OpSpec] => [c, s]))))
    .map((ops): Cmd => new Burst(ops)),
);

const clientOp = fc.tuple(fc.integer({ min: 0, max: CLIENTS - 1 }), opSpec).map(([c, s]): Cmd => new ClientOp(c, s));

/** The faults by name (--without skips some), with their weights; pauses are always in. */
const faults: Record<string, fc.WeightedArbitrary<Cmd>> = {
  cut: {
    weight: 3,
    arbitrary: fc.oneof(
      fc.constant(null).map(() => fault("cut the database", (r, m) => ((m.dbCut = true), r.world.cutDb()), (m) => !m.dbCut)),
      { weight: 2, arbitrary: fc.constant(null).map(() => fault("restore the database", (r, m) => ((m.dbCut = false), r.world.restoreDb()), (m) => m.dbCut)) },
    ),
  },
  slow: {
    weight: 2,
    arbitrary: fc
      .tuple(slowTarget, slowMs)
      .map(([target, ms]) => fault(target === "none" ? "database answers at once" : `slow database ${target} (answers ${ms / 2}-${ms}ms late)`, (r) => r.world.slowDb(target, ms))),
  },
  restart: {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom<"SIGTERM" | "SIGKILL">("SIGTERM", "SIGKILL"), fc.constantFrom(0, 5, 20, 50, 150))
      .map(([signal, lingerMs]) => fault(`restart the service (${signal}, FLUSH_LINGER_MS=${lingerMs})`, (r) => r.world.restart({ lingerMs }, signal))),
  },
  redis: { weight: 1, arbitrary: fc.constant(null).map(() => fault("restart redis-server (kill -9, AOF)", (r) => r.world.restartRedis())) },
  squeeze: { weight: 2, arbitrary: fc.constant(null).map(() => fault("squeeze Redis's memory (volatile-lru evicts)", (r) => r.world.squeeze())) },
  evict: { weight: 3, arbitrary: key.map((k) => fault(`evict ${name(k)} if clean`, (r) => r.world.evict(r.keys[k]!))) },
};
export const FAULTS = Object.keys(faults);

const pause: fc.WeightedArbitrary<Cmd> = { weight: 6, arbitrary: fc.integer({ min: 1, max: 300 }).map((ms) => fault(`pause ${ms}ms`, () => Bun.sleep(ms))) };

/** Programs of up to `maxCommands` commands: client operations, bursts, pauses and the faults not in `without`. */
export function program(maxCommands: number, without: string[] = [], replayPath?: string): fc.Arbitrary<Iterable<Cmd>> {
  const nemesis = fc.oneof(pause, ...Object.entries(faults).filter(([k]) => !without.includes(k)).map(([, f]) => f));
  return fc.commands([fc.oneof({ weight: 5, arbitrary: clientOp }, { weight: 1, arbitrary: burst }, { weight: 2, arbitrary: nemesis })], { maxCommands, size: "max", replayPath });
}

export interface RunParams {
  ttlMs: number;
  lingerMs: number;
  /** database connections whose answers are late from the start, and by how much */
  slow: SlowTarget;
  slowMs: number;
  /** seeds the proxy's delays */
  noise: number;
}

/** A run's service settings and starting faults; `ttlMs` fixed when given (0: entries never expire). */
export function runParams(ttlMs?: number): fc.Arbitrary<RunParams> {
  return fc.record({
    ttlMs: ttlMs !== undefined ? fc.constant(ttlMs) : fc.constantFrom(5, 10, 25, 50, 250),
    lingerMs: fc.constantFrom(0, 5, 20, 50, 150),
    slow: slowTarget,
    slowMs,
    noise: fc.noShrink(fc.integer()),
  });
}
