// The whole service from a config: connections, the HTTP server, the flusher threads, and an
// ordered stop(). main.ts is the command line over this; tests and tools can call it too.
// The main thread's connections are made here and handed to what uses them (each flusher
// thread makes its own, flusher/open.ts).
import { ApiCache } from "./cache/api";
import { ConsumerLease } from "./cache/lease";
import { connect } from "./cache/redis";
import type { Config } from "./config";
import { FlusherPool } from "./flusher/pool";
import { createApp } from "./http/app";
import { configKeys } from "./keys";
import { OneStreamReads } from "./legacy/reads";
import { errorFields, log } from "./log";
import { Registry } from "./metrics";
import { openStore } from "./store/open";
import type { Store } from "./store/store";
import { API_DB_CONNECTIONS } from "./tuning";
import { PersistWaiters } from "./waiters";

/** The port is taken by another process (another instance, most likely). */
export class PortInUseError extends Error {
  readonly code = "PORT_IN_USE";
}

export interface Service {
  app: ReturnType<typeof createApp>;
  /** whether writes are refused because the service is stopping */
  state: { shuttingDown: boolean };
  port: number;
  /** drains the flusher for up to SHUTDOWN_GRACE_MS, then closes everything */
  stop(): Promise<void>;
  /**
   * An exception thrown from a callback outside any request (main.ts): in practice the
   * database driver's socket callback after its connection broke. Counted, and the database
   * client replaced, as the flusher threads do (thread.ts).
   */
  contain(err: unknown): void;
}

export interface StartOptions {
  /** called when a flusher thread reports a setting that can never work */
  onFatal?: (message: string) => void;
  /** run the flusher threads (default true; in-process tests run flushers of their own) */
  threads?: boolean;
  /** listen on PORT (default true; in-process tests call app.handle) */
  listen?: boolean;
  /** the registry the routes count into and /metrics renders */
  metrics?: Registry;
  /** the store the routes read through (default: the one DATABASE_URL names); stop() closes it */
  store?: Store;
}

export async function start(config: Config, o: StartOptions = {}): Promise<Service> {
  const threads = o.threads ?? true;
  const redisTarget = { url: config.REDIS_URL, cluster: config.REDIS_CLUSTER };
  const apiRedis = connect(redisTarget, "api", config.REDIS_COMMAND_TIMEOUT_MS);
  const cache = new ApiCache(config, configKeys(config), apiRedis, o.onFatal, new OneStreamReads(apiRedis, config.KEY_PREFIX));
  const store =
    o.store ??
    openStore({
      url: config.DATABASE_URL,
      max: API_DB_CONNECTIONS,
      statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
      lockTimeoutMs: config.DB_LOCK_TIMEOUT_MS,
    });
  let waiters: PersistWaiters | undefined;
  const flushers = new FlusherPool(config, o.onFatal, (keys, versions) => waiters?.committed(keys, versions));
  waiters = new PersistWaiters(store, (add, remove) => threads && flushers.watch(add, remove));
  const state = { shuttingDown: false };
  const metrics = o.metrics ?? new Registry();
  const app = createApp({
    config,
    cache,
    store,
    waiters,
    metrics,
    flushers: threads ? flushers : undefined,
    state,
  });

  // Listen once the write path's Redis connection is up, so the first requests are not
  // refused for a connection still being made. If Redis is down, listen anyway after the
  // connect timeout: writes answer 503 REDIS_UNAVAILABLE and /ready says why.
  await cache
    .whenReady(config.REDIS_COMMAND_TIMEOUT_MS)
    .catch(() => log.warn("Redis not reachable at start; listening anyway, writes answer 503 until it is"));
  // Data written with another STREAM_PARTITIONS is refused before the first request (layout.ts);
  // if Redis is not reachable yet, the first write checks it.
  await cache.checkLayout().catch(() => {});
  if (o.listen !== false) listen();
  // The flusher threads consume under CONSUMER_NAME only once this instance holds it.
  const lease = threads ? new ConsumerLease(connect(redisTarget, "api", config.REDIS_COMMAND_TIMEOUT_MS), configKeys(config), config.CONSUMER_NAME) : undefined;
  if (lease) {
    // The schema need not wait for the name: /ready reports a missing schema, and the threads
    // (which also migrate, retrying) may wait up to the lease's TTL after a kill -9 restart.
    void store.migrate().catch((err) => log.debug("migration at start failed; the flusher threads retry it", errorFields(err)));
    lease.onLost = (err) => o.onFatal?.(err.message);
    lease.acquire().then(
      () => {
        if (!state.shuttingDown) flushers.start();
      },
      (err) => o.onFatal?.((err as Error).message),
    );
  }

  function listen(): void {
    try {
      // reusePort off (Elysia turns it on): a second instance on the same port must fail, not
    // silently take a share of the traffic.
      app.listen({ port: config.PORT, hostname: config.HOST, reusePort: false });
    } catch (err) {
      cache.disconnect();
      void store.close().catch(() => {});
      if ((err as { code?: string }).code === "EADDRINUSE") {
        throw new PortInUseError(`port in use: ${config.HOST}:${config.PORT} is taken by another process (set PORT)`);
      }
      throw err;
    }
  }

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      state.shuttingDown = true; // writes now answer 503 SHUTTING_DOWN
      if (threads) await flushers.drain(config.SHUTDOWN_GRACE_MS);
      // Each step on its own: one failing must not keep the others from running.
      for (const [name, step] of [
        ["http", () => app.server?.stop(true)],
        ["redis", () => cache.close()],
        ["postgres", () => store.close()],
        ["consumer name", () => lease?.release()],
      ] as const) {
        try {
          await step();
        } catch (err) {
          log.warn("shutdown step failed", { step: name, ...errorFields(err) });
        }
      }
    })());
  const contain = (err: unknown) => {
    metrics.inc("writeback_contained_errors_total");
    log.error("contained an error nobody could catch (a callback threw, or a rejection went unhandled); reconnecting the database", errorFields(err));
    store.reset();
  };
  return { app, state, port: app.server?.port ?? 0, stop, contain };
}
