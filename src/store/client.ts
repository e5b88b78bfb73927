// The database client of a network store (Postgres, MySQL), and the one rule for replacing it:
// a failure that is not the server's answer (no SQLSTATE or errno: the connection refused,
// closed, or silent past the deadline) replaces the client, since a connection that failed is
// not trusted again. postgres.js 3.4.9 can leave a connection whose backend was terminated
// during its handshake unable to connect again (CONNECT_TIMEOUT every connect_timeout while the
// server is up), or replay that backend's error onto the next query (porsager/postgres#1223).
// At most once per STORE_RESET_MIN_INTERVAL_MS, and never after close().
import { STORE_RESET_MIN_INTERVAL_MS } from "../tuning";
import { withDeadline } from "./store";

export interface ClientKind<C> {
  open(): C;
  /** ends a client, its queries given up to a second */
  end(client: C): Promise<void>;
  /** whether a failure is the server's answer (it carries the database's code) */
  answered(err: unknown): boolean;
}

export class ReplaceableClient<C> {
  private client: C;
  private openedAt = performance.now();
  private closed = false;

  constructor(private kind: ClientKind<C>) {
    this.client = kind.open();
  }

  /** The client now, for what cannot go through run() (a reserved connection). */
  get current(): C {
    return this.client;
  }

  /** Runs one call on the current client, within `deadlineMs` unless it is undefined; replaces the client as the rule says. */
  async run<T>(work: (client: C) => Promise<T>, deadlineMs?: number): Promise<T> {
    const client = this.client;
    try {
      return await (deadlineMs === undefined ? work(client) : withDeadline(work(client), deadlineMs));
    } catch (err) {
      // Calls that failed together on one client replace it once.
      if (!this.kind.answered(err) && this.client === client) this.replace();
      throw err;
    }
  }

  /** New connections instead of the current ones, which are ended in the background. */
  replace(): void {
    // After close(), a call still in flight fails: that is no reason to connect again.
    if (this.closed || performance.now() - this.openedAt < STORE_RESET_MIN_INTERVAL_MS) return;
    const old = this.client;
    this.client = this.kind.open();
    this.openedAt = performance.now();
    this.kind.end(old).catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.kind.end(this.client);
  }
}
