// Write-and-wait (?wait=persisted): requests waiting until a key's version is committed to
// the database. The flusher threads of this process are told which keys are waited on and
// report their commits of those keys (see flusher/watch.ts), which releases most waiters at
// once, with no query. A write that another
// instance flushed is seen by asking the database, only for waiters that have waited longer
// than POLL_AFTER_MS, every POLL_INTERVAL_MS, in one query for all their keys.
import { log, errorFields } from "./log";
import type { Store } from "./store/store";

const POLL_AFTER_MS = 500;
const POLL_INTERVAL_MS = 250;

interface Waiter {
  version: number;
  since: number;
  done: (persisted: boolean) => void;
}

export class PersistWaiters {
  private byKey = new Map<string, Set<Waiter>>();
  private count = 0;
  private poller?: ReturnType<typeof setInterval>;
  private polling = false;

  constructor(
    private store: Pick<Store, "versions">,
    /** told which keys got their first waiter and which lost their last, batched per run of the microtask queue */
    private onWatch: (add: string[], remove: string[]) => void = () => {},
  ) {}

  private toAdd = new Set<string>();
  private toRemove = new Set<string>();
  private announcing = false;

  /** Tells the threads about watched keys in batches; a key added and removed within one batch not at all. */
  private announce(key: string, added: boolean): void {
    const [into, cancel] = added ? [this.toAdd, this.toRemove] : [this.toRemove, this.toAdd];
    if (!cancel.delete(key)) into.add(key);
    if (this.announcing) return;
    this.announcing = true;
    queueMicrotask(() => {
      this.announcing = false;
      if (this.toAdd.size + this.toRemove.size === 0) return;
      const add = [...this.toAdd];
      const remove = [...this.toRemove];
      this.toAdd.clear();
      this.toRemove.clear();
      this.onWatch(add, remove);
    });
  }

  /** Resolves true once `key` is committed at `version` or newer, false after `timeoutMs`. */
  wait(key: string, version: number, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const w: Waiter = { version, since: Date.now(), done: () => {} };
      const timer = setTimeout(() => w.done(false), timeoutMs);
      w.done = (persisted) => {
        clearTimeout(timer);
        this.remove(key, w);
        resolve(persisted);
      };
      let set = this.byKey.get(key);
      if (!set) {
        this.byKey.set(key, (set = new Set()));
        this.announce(key, true);
      }
      set.add(w);
      if (++this.count === 1) this.activate();
    });
  }

  /** The flusher committed these keys at these versions. */
  committed(keys: string[], versions: number[]): void {
    keys.forEach((key, i) => this.release(key, versions[i]!));
  }

  private release(key: string, version: number): void {
    const set = this.byKey.get(key);
    if (!set) return;
    for (const w of [...set]) if (version >= w.version) w.done(true);
  }

  private remove(key: string, w: Waiter): void {
    const set = this.byKey.get(key);
    if (!set?.delete(w)) return;
    if (set.size === 0) {
      this.byKey.delete(key);
      this.announce(key, false);
    }
    if (--this.count === 0) this.deactivate();
  }

  private activate(): void {
    this.poller = setInterval(() => void this.poll(), POLL_INTERVAL_MS);
  }

  private deactivate(): void {
    clearInterval(this.poller);
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    const now = Date.now();
    const keys = [...this.byKey].filter(([, set]) => [...set].some((w) => now - w.since >= POLL_AFTER_MS)).map(([k]) => k);
    if (keys.length === 0) return;
    this.polling = true;
    try {
      const versions = await this.store.versions(keys);
      for (const [key, version] of versions) this.release(key, version);
    } catch (err) {
      log.debug("could not read persisted versions for waiters", errorFields(err));
    } finally {
      this.polling = false;
    }
  }
}
