// An in-memory Store (src/store/store.ts): rows with the version guard (a row never moves to an
// older or equal version), and failures injected by kind, classified as the real stores
// classify theirs (transient, split, permanent). No SQL and no driver: the rules above the
// Store interface run against it in milliseconds.
import type { Failure, KeyedRow, Row, Store } from "../../../src/store/store";

/** An error this store raises, of a kind its classify() answers. */
export class FakeStoreError extends Error {
  constructor(
    readonly kind: Failure,
    readonly code = kind === "permanent" ? "REJECTED" : kind === "split" ? "TIMEOUT" : "DOWN",
  ) {
    super(`injected ${kind} failure`);
  }
}

export class FakeStore implements Store {
  readonly name = "fake";
  readonly rows = new Map<string, { value: string | null; version: number }>();
  /** every upsert call's keys, in order (failed ones too) */
  readonly upserts: string[][] = [];
  /** rows holding one of these keys are refused (a permanent error) whatever the batch */
  readonly rejectKeys = new Set<string>();
  /** a statement of more rows than this runs past the statement timeout (a split error) */
  timeoutAbove = Infinity;
  resets = 0;
  closed = false;
  private queued: FakeStoreError[] = [];
  /** called first in every upsert; may throw or act on the world (stop a flusher, ...) */
  before?: (rows: KeyedRow[]) => void | Promise<void>;

  /** The next upsert fails with an error of `kind` (queued). */
  failNext(kind: Failure, times = 1): void {
    for (let i = 0; i < times; i++) this.queued.push(new FakeStoreError(kind));
  }

  async migrate(): Promise<void> {}

  async claimOwner(prefix: string): Promise<string> {
    return prefix;
  }

  async upsert(rows: KeyedRow[]): Promise<number> {
    this.upserts.push(rows.map((r) => r.key));
    await this.before?.(rows);
    const queued = this.queued.shift();
    if (queued) throw queued;
    if (rows.some((r) => this.rejectKeys.has(r.key))) throw new FakeStoreError("permanent");
    if (rows.length > this.timeoutAbove) throw new FakeStoreError("split");
    let changed = 0;
    for (const r of rows) {
      const held = this.rows.get(r.key);
      if (held && held.version >= r.version) continue; // the version guard
      this.rows.set(r.key, { value: r.value, version: r.version });
      changed++;
    }
    return changed;
  }

  async get(key: string): Promise<Row | undefined> {
    const r = this.rows.get(key);
    return r && r.value !== null ? { value: r.value, version: r.version } : undefined;
  }

  async getMany(keys: string[]): Promise<Map<string, Row>> {
    const out = new Map<string, Row>();
    for (const k of keys) {
      const r = await this.get(k);
      if (r) out.set(k, r);
    }
    return out;
  }

  async versions(keys: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const k of keys) {
      const r = this.rows.get(k);
      if (r) out.set(k, r.version);
    }
    return out;
  }

  async purgeTombstones(): Promise<number> {
    return 0;
  }

  async ping(): Promise<"ok"> {
    return "ok";
  }

  classify(err: unknown): Failure {
    return err instanceof FakeStoreError ? err.kind : "transient";
  }

  errorCode(err: unknown): string | undefined {
    return err instanceof FakeStoreError ? err.code : undefined;
  }

  reset(): void {
    this.resets++;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
