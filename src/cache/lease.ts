// The consumer name's lease: two live instances must never consume under one CONSUMER_NAME
// (each would take the other's partition leases as an earlier life of its own, claim.lua, and both would consume them). An instance
// takes the name's heartbeat key before its flusher threads start, renews it every
// LEASE_RENEW_MS, and gives it back when it stops. A second instance with the same name finds
// the key renewed and refuses to start; an instance that was killed leaves a key that
// lapses within LEASE_TTL_MS, so its restart (same host, same name) waits at most that long.
// The key holds `<until ms> <instance id>`; its own TTL is NAME_KEY_KEEP_MS, long enough that
// eviction policies leave it to the last (lease.lua).
import { randomUUID } from "node:crypto";
import { FatalError } from "../fatal";
import type { Keys } from "../keys";
import { errorFields, log } from "../log";
import { waitReady, type WritebackRedis } from "./redis";

export const LEASE_TTL_MS = 3000;
export const LEASE_RENEW_MS = 1000;
/** How long a name's key stays in Redis after its last renewal (its holder's lease lapses long before). */
export const NAME_KEY_KEEP_MS = 60 * 60 * 1000;
const RETRY_MS = 250;

export class ConsumerInUseError extends FatalError {
  constructor(message: string) {
    super("CONSUMER_IN_USE", message);
  }
}

export class ConsumerLease {
  readonly id = randomUUID();
  private key: string;
  private renewer?: ReturnType<typeof setInterval>;
  private closed = false;

  constructor(
    /** a fail-fast connection of its own (connect(..., "api", ...)), which release() disconnects */
    private redis: WritebackRedis,
    k: Keys,
    private name: string,
  ) {
    this.key = k.consumer(name);
  }

  /**
   * Resolves once this instance holds the name, retrying while Redis is unreachable. Throws
   * ConsumerInUseError when another instance keeps the name for longer than its lease lasts:
   * it is alive.
   */
  async acquire(): Promise<void> {
    let heldByOtherSince = 0;
    while (!this.closed) {
      try {
        // A fail-fast connection: wait for it rather than fail the first attempts while it connects.
        await waitReady(this.redis, 1000);
        if ((await this.redis.wbLease(this.key, this.id, LEASE_TTL_MS, NAME_KEY_KEEP_MS)) === 1) return this.renewEvery(LEASE_RENEW_MS);
        heldByOtherSince ||= Date.now();
        if (Date.now() - heldByOtherSince > LEASE_TTL_MS + RETRY_MS) throw this.inUse("is in use by another live instance");
      } catch (err) {
        if (err instanceof ConsumerInUseError) throw err;
        heldByOtherSince = 0; // Redis unreachable: nothing known about the other holder
        log.debug("could not take the consumer name yet", errorFields(err));
      }
      await Bun.sleep(RETRY_MS);
    }
  }

  /** Called when the name is found held by another instance after this one held it. */
  onLost: (err: ConsumerInUseError) => void = () => {};

  private renewEvery(ms: number): void {
    this.renewer = setInterval(async () => {
      try {
        if ((await this.redis.wbLease(this.key, this.id, LEASE_TTL_MS, NAME_KEY_KEEP_MS)) === 0 && !this.closed) {
          // This process was paused (SIGSTOP, a long stall) past its lease and another instance
          // with the same name started meanwhile: one of the two must stop, and it is this one.
          clearInterval(this.renewer);
          this.onLost(this.inUse("was taken by another instance while this one was paused"));
        }
      } catch (err) {
        log.warn("could not renew the consumer name's heartbeat", errorFields(err));
      }
    }, ms);
  }

  private inUse(what: string): ConsumerInUseError {
    return new ConsumerInUseError(
      `CONSUMER_NAME=${JSON.stringify(this.name)} ${what} (heartbeat key ${this.key}): give each instance its own CONSUMER_NAME`,
    );
  }

  /** Gives the name back (so a restart need not wait for the lease to expire) and disconnects. */
  async release(): Promise<void> {
    this.closed = true;
    clearInterval(this.renewer);
    await this.redis.wbLease(this.key, this.id, 0, 0).catch(() => {});
    this.redis.disconnect();
  }
}
