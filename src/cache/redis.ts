// Redis connections and the scripts they run. Scripts are embedded .lua files (scripts.ts),
// sent once and then run by SHA (ioredis falls back to EVAL on NOSCRIPT, e.g. after a Redis
// restart).
import Redis, { Cluster, type RedisOptions } from "ioredis";
import { errorFields, log } from "../log";
import { DEFINED } from "./scripts";

/** The scripts every connection can run, by SHA. */
export interface Scripts {
  /** numKeys, streams..., cache hash per write..., stream count, maxBacklog, maxLagMs, op, key, value and stream index per write... (set.lua) */
  wbSet(...args: (string | number)[]): Promise<string[]>;
  /** dead, stream, maxBacklog, minVersion, 'check' | 'move', earlier, ids... (redrive.lua): [ids moved or movable, ids expired] */
  wbRedrive(dead: string, stream: string, maxBacklog: number, minVersion: number, mode: "check" | "move", earlier: number, ...ids: string[]): Promise<[string[], string[]]>;
  /** cache hash, the partition's fence, value, version, TTL ms, the fence read before the database (fill.lua): 1 filled, 0 not */
  wbFill(cache: string, fence: string, value: string, version: string, ttlMs: number, fenceRead: string): Promise<number>;
  /** a partition's fence (fence.lua): its value, made if missing */
  wbFence(fence: string): Promise<string>;
  /** stream, cache hash, fence, maxBacklog, maxLagMs, key, by, base ('' = not read), the fence read before the database (incr.lua) */
  wbIncr(
    stream: string,
    cache: string,
    fence: string,
    maxBacklog: number,
    maxLagMs: number,
    key: string,
    by: string,
    base: string,
    fenceRead: string,
  ): Promise<string[]>;
  /** numKeys, cache hashes... (values.lua): value and version of each, null where absent */
  wbValues(...args: (string | number)[]): Promise<(string | null)[]>;
  /** a consumer name's key, this instance's id, TTL ms (0 = release), how long the key is kept (lease.lua): 1 held, 0 another's */
  wbLease(key: string, id: string, ttlMs: number, keepMs: number): Promise<number>;
  /** old dead-letter stream, a partition's dead-letter stream, a letter's id (retire.lua): 1 moved, 0 gone already */
  wbRetire(from: string, to: string, id: string): Promise<number>;
  /** members, this consumer, TTL ms (0 = leave) (members.lua): the live consumers, sorted */
  wbMembers(members: string, consumer: string, ttlMs: number): Promise<string[]>;
  /** lease, cursor, stream, consumer, CONSUMER_NAME, process id, TTL ms, old group, idle ms (claim.lua): null, or token, cursor, tries, suspect, reach */
  wbClaim(
    lease: string,
    cursor: string,
    stream: string,
    consumer: string,
    name: string,
    process: string,
    ttlMs: number,
    oldGroup: string,
    idleMs: number,
  ): Promise<(string | number)[] | null>;
  /** numKeys, leases..., TTL ms, tokens... (renew.lua): 1 held / 0 lost per lease */
  wbRenew(...args: (string | number)[]): Promise<number[]>;
  /** numKeys, lease and cursor of each..., tokens... (release.lua): how many were released */
  wbRelease(...args: (string | number)[]): Promise<number>;
  /** lease, consumer, CONSUMER_NAME, process id (lapse.lua): 1 ended, 0 not an earlier life's */
  wbLapse(lease: string, consumer: string, name: string, process: string): Promise<number>;
  /** lease, cursor, token, entry id (suspect.lua): 1, or 0 when the lease is gone */
  wbSuspect(lease: string, cursor: string, token: string, id: string): Promise<number>;
  /** numKeys, lease/cursor/stream/dead of each partition..., then per partition its arguments (commit.lua): 1 / 0 per partition */
  wbCommit(...args: (string | number)[]): Promise<number[]>;
  /** numKeys, streams..., fences..., cache hashes..., TTL ms, stream count, version and stream index of each hash (clean.lua) */
  wbClean(...args: (string | number)[]): Promise<number>;
}

/** A connection to one Redis, or to a Redis Cluster (ioredis's Cluster client), with the scripts. */
export type WritebackRedis = (Redis | Cluster) & Scripts;

/** Whether `redis` is a Cluster client. */
export function isCluster(redis: WritebackRedis): redis is Cluster & Scripts {
  return (redis as { isCluster?: boolean }).isCluster === true;
}

/** Where to connect: REDIS_URL, and whether it is a node (or the list of nodes) of a Redis Cluster. */
export interface RedisTarget {
  url: string;
  cluster?: boolean;
}

/** The nodes of a REDIS_URL listing several (redis://h1:7000,h2:7001), with the first one's credentials and TLS. */
export function clusterNodes(url: string): { startup: { host: string; port: number }[]; options: RedisOptions } {
  const [first, ...rest] = url.split(",");
  const u = new URL(first!);
  const hostPort = (s: string) => {
    const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(s.replace(/^rediss?:\/\//, "").replace(/\/.*$/, ""));
    return { host: m?.[1] ?? m?.[2] ?? "127.0.0.1", port: Number(m?.[3] ?? 6379) };
  };
  const startup = [{ host: u.hostname.replace(/^\[|\]$/g, ""), port: Number(u.port || 6379) }, ...rest.map(hostPort)];
  const options: RedisOptions = {};
  if (u.username) options.username = decodeURIComponent(u.username);
  if (u.password) options.password = decodeURIComponent(u.password);
  if (u.protocol === "rediss:") options.tls = {};
  return { startup, options };
}

/**
 * How often to look again while Redis answers LOADING (replaying its AOF after a restart).
 * ioredis waits min(Redis's own estimate, this) between looks, and the estimate is coarse:
 * with its default of 10 s, writes stayed refused for seconds after Redis was ready.
 */
export const LOADING_POLL_MS = 100;
/** The longest wait between reconnect attempts. */
export const RECONNECT_MAX_MS = 250;

export type ConnectionRole = "api" | "flusher";

const ERROR_LOG_INTERVAL_MS = 5000;

/**
 * The API connection fails fast: no offline queue and a command timeout, so a request
 * never hangs on a dead Redis; it answers 503 and the client retries. The flusher's
 * connection waits for Redis instead (its blocking reads are on a connection of their own).
 *
 * On a Redis Cluster, auto-pipelining is off: ioredis groups an auto-pipeline by the slot of
 * a command's first argument, which for a script called with its key count first is not a
 * key. Commands are routed by their keys (every script call stays in one slot, keys.ts), and
 * a write's WAIT goes in an explicit pipeline with it, to the same master (replicas.ts).
 */
export function connect(target: string | RedisTarget, role: ConnectionRole, commandTimeoutMs: number): WritebackRedis {
  const { url, cluster } = typeof target === "string" ? { url: target, cluster: false } : target;
  const options: RedisOptions =
    role === "api"
      ? {
          enableAutoPipelining: true,
          enableOfflineQueue: false,
          maxRetriesPerRequest: 0,
          commandTimeout: commandTimeoutMs,
          connectTimeout: commandTimeoutMs,
        }
      : { maxRetriesPerRequest: null, connectTimeout: 5000 };
  const common: RedisOptions = {
    // RESP2: the reply shapes (XREAD as nested arrays) this code is written against.
    protocol: 2,
    lazyConnect: false,
    // Reconnect attempts to a Redis that is down cost nothing; waiting between them is time
    // in which writes are refused after Redis is back (was up to 2 s).
    retryStrategy: (times) => Math.min(25 * 2 ** Math.min(times, 4), RECONNECT_MAX_MS),
    maxLoadingRetryTime: LOADING_POLL_MS,
  };
  let redis: WritebackRedis;
  if (cluster || url.includes(",")) {
    const { startup, options: auth } = clusterNodes(url);
    const { enableAutoPipelining: _, enableOfflineQueue, retryStrategy: __, ...perNode } = { ...options, ...common };
    redis = new Cluster(startup, {
      redisOptions: { ...perNode, ...auth },
      enableOfflineQueue: enableOfflineQueue ?? true,
      enableAutoPipelining: false,
      scaleReads: "master",
      // A failover or a reshard: find the new owner of the slot soon, and follow MOVED/ASK.
      clusterRetryStrategy: (times) => Math.min(25 * 2 ** Math.min(times, 4), RECONNECT_MAX_MS),
      retryDelayOnFailover: 50,
      retryDelayOnClusterDown: 50,
      retryDelayOnTryAgain: 50,
      slotsRefreshTimeout: Math.max(1000, commandTimeoutMs),
      slotsRefreshInterval: 2000,
      maxRedirections: 16,
    }) as WritebackRedis;
  } else {
    redis = new Redis(url, { ...options, ...common }) as WritebackRedis;
  }
  for (const [name, def] of Object.entries(DEFINED)) redis.defineCommand(name, def);
  // Errors also surface on the commands that fail; without a listener an 'error' event would
  // crash the process. Logged at most once per interval, so an outage is visible, not a flood.
  let lastLogged = 0;
  let suppressed = 0;
  redis.on("error", (err) => {
    const now = Date.now();
    if (now - lastLogged < ERROR_LOG_INTERVAL_MS) return void suppressed++;
    log.warn("Redis connection error", { role, suppressedSinceLast: suppressed, ...errorFields(err) });
    lastLogged = now;
    suppressed = 0;
  });
  return redis;
}

export { redisErrorCode } from "./errors";

/** Resolves once the connection is ready, or rejects after `ms`. */
export function waitReady(redis: Redis | Cluster, ms: number): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off("ready", onReady);
      reject(new Error(`Redis not ready after ${ms} ms`));
    }, ms);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    redis.once("ready", onReady);
  });
}
