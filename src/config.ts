// Every setting, parsed and validated once. A bad value stops the process with the variable's name.
import { Type as T, type Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { hostname } from "node:os";

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const KiB = 1024;
export const MiB = 1024 * KiB;
/** The most write streams a deployment can have; layout.ts looks this far for data of a changed count. */
export const MAX_PARTITIONS = 1024;
/**
 * The largest key every store can index and every GET /get/<key> URL can carry: a Postgres
 * btree entry holds at most 2704 bytes, MySQL's InnoDB key 3072; and a key percent-encoded
 * whole (3 bytes per byte) still fits a URL well under Bun's 16 KiB.
 */
export const MAX_KEY_LIMIT = 2048;

const Int = (def: number, min: number, max: number, doc: string) =>
  T.Integer({ default: def, minimum: min, maximum: max, description: doc });

/**
 * The longest delay a JavaScript timer keeps: a setTimeout longer than 2^31 - 1 ms fires at
 * once (and Postgres's statement_timeout and lock_timeout are int milliseconds, the same bound).
 */
export const TIMER_MAX_MS = 2 ** 31 - 1;
/**
 * A duration that becomes a timer: a pause, a backoff, a deadline, a timeout sent to a store or
 * to Redis. Its maximum is far below TIMER_MAX_MS, leaving room for the deadlines derived from
 * it (a flush's client deadline is the statement timeout + 1 s; a flusher thread counts as
 * stale after 3x the statement timeout or the block; a write waits for the command timeout
 * plus WAIT's); config.test.ts checks them.
 */
const Timer = (def: number, min: number, max: number, doc: string) => {
  if (max > TIMER_MAX_MS) throw new Error(`a timer's maximum ${max} is above ${TIMER_MAX_MS}`);
  return T.Integer({ default: def, minimum: min, maximum: max, description: doc, timer: true });
};
/**
 * The longest tombstone retention: the purge computes `now - retention` as a date in the store,
 * and MySQL's DATETIME starts at the year 1000 (MariaDB answers NULL before the year 0, so a
 * purge silently deletes nothing; Postgres fails with 22008 before 4713 BC, i.e. from about
 * 2.1e14 ms today). 1000 years of 365.25 days keeps now - retention at or after the year 1026.
 */
export const MAX_TOMBSTONE_RETENTION_MS = 1000 * 365.25 * 24 * 60 * MINUTE;
const Str = (def: string, doc: string, pattern?: string) =>
  T.String({ default: def, minLength: 1, description: doc, ...(pattern ? { pattern } : {}) });

export const ConfigSchema = T.Object({
  PORT: Int(8000, 0, 65535, "HTTP port (0 picks a free one)"),
  HOST: Str("127.0.0.1", "HTTP listen address (0.0.0.0 to serve other hosts; see Security in the README)"),
  REDIS_URL: Str(
    "redis://127.0.0.1:6379",
    "Redis holding the cache and the write streams; several nodes (redis://h1:7000,h2:7001) mean a Redis Cluster",
    "^rediss?://[^,]+(,[^,]+)*$",
  ),
  REDIS_CLUSTER: T.Boolean({ default: false, description: "REDIS_URL is a node of a Redis Cluster (implied when it lists several nodes)" }),
  STREAM_PARTITIONS: Int(
    16,
    1,
    MAX_PARTITIONS,
    "write streams; a key belongs to partition crc32(key) mod this. Fixed for a Redis's data: changing it needs an empty backlog (docs/scaling.md)",
  ),
  DATABASE_URL: Str(
    "postgres://postgres:postgres@127.0.0.1:5432/postgres",
    "the system of record: postgres://user@host:5432/db, mysql://user@host:3306/db (MySQL 8, MariaDB 10.6+), sqlite:///path/to/file.db",
    "^(postgres(ql)?|mysql|mariadb|sqlite)://",
  ),
  KEY_PREFIX: Str("wb:", "prefix of every Redis key this instance uses (isolates deployments and tests); no braces", "^[^{}]+$"),
  CONSUMER_NAME: T.String({
    default: "",
    description:
      "consumer name stem (named in partition leases), unique per live instance (a second one with the same name refuses to start); thread i consumes as <stem>-<i>. Default: <host name>-<PORT>, stable across restarts",
  }),
  FLUSH_WORKERS: Int(2, 1, 64, "flusher threads"),
  FLUSH_BATCH: Int(25_000, 1, 1_000_000, "most stream entries per flush (one transaction)"),
  FLUSH_BATCH_BYTES: Int(16 * MiB, 64 * KiB, 1024 * MiB, "most bytes of keys and values read into one flush and sent in one statement"),
  FLUSH_LINGER_MS: Timer(50, 0, 10 * SECOND, "pause after a flush that found no backlog, so writes gather into larger flushes"),
  FLUSH_NICE: Int(10, 0, 19, "nice value of the flusher threads: under CPU contention, requests are served first"),
  FLUSH_BLOCK_MS: Timer(1000, 1, 60 * SECOND, "longest wait for new entries in one read"),
  // Not a timer: a lease's TTL in Redis (claim.lua, renew.lua). A day: a lease not renewed for
  // that long is a stall, and MAX_LAG_MS must be at least this plus the interval.
  FLUSH_CLAIM_IDLE_MS: Int(30 * SECOND, 100, 24 * 60 * MINUTE, "life of a partition's lease: a flusher thread that died or stalled has its partitions taken over by the others after this long"),
  FLUSH_CLAIM_INTERVAL_MS: Timer(5 * SECOND, 50, 10 * MINUTE, "how often each thread renews its leases and membership (at least three times per FLUSH_CLAIM_IDLE_MS)"),
  FLUSH_MAX_DELIVERIES: Int(20, 1, 1_000_000, "takeovers of a partition from owners that crashed on it, without progress, after which its entries are flushed one at a time and the one that crashed its owner is dead-lettered"),
  FLUSH_RETRY_MAX_MS: Timer(10 * SECOND, 10, 10 * MINUTE, "cap of the flusher's exponential backoff"),
  DB_STATEMENT_TIMEOUT_MS: Timer(10 * SECOND, 100, 10 * MINUTE, "statement_timeout of one flush statement (a statement past it is split); the client's deadline is 1 s longer"),
  DB_LOCK_TIMEOUT_MS: Timer(5 * SECOND, 10, 10 * MINUTE, "lock_timeout of one flush"),
  // Not a timer: compared with the age of a batch when /health is asked.
  FLUSH_STUCK_MS: Int(2 * MINUTE, 100, 24 * 60 * MINUTE, "a thread retrying one batch for longer than this makes /health answer 503"),
  // Not a timer: Redis's PEXPIRE (clean.lua, fill.lua), which takes up to 2^63 - 1 - now; the
  // scripts read it as a Lua number, exact up to 2^53 - 1 (and passed back to PEXPIRE as such).
  CACHE_TTL_MS: Int(
    60 * MINUTE,
    0,
    Number.MAX_SAFE_INTEGER,
    "TTL a cache entry gets once its latest version is persisted (0 = keep cached values forever); unpersisted entries never expire",
  ),
  TOMBSTONE_RETENTION_MS: Int(
    7 * 24 * 60 * MINUTE,
    MINUTE,
    MAX_TOMBSTONE_RETENTION_MS,
    "how long the database keeps a deleted key's tombstone, at most 1000 years (31557600000000); dead letters older than this cannot be re-driven",
  ),
  ALLOW_ALLKEYS_EVICTION: T.Boolean({
    default: false,
    description: "UNSAFE: start although Redis's maxmemory-policy is allkeys-*, which can evict unpersisted writes and the stream",
  }),
  OPENAPI: T.Boolean({
    default: true,
    description: "serve the OpenAPI document (GET /openapi.json) and its page (GET /docs); false hides them",
  }),
  MAX_KEY_BYTES: Int(1024, 1, MAX_KEY_LIMIT, "largest key, in UTF-8 bytes"),
  MAX_VALUE_BYTES: Int(1 * MiB, 1, 256 * MiB, "largest value, in UTF-8 bytes"),
  MAX_BATCH_ITEMS: Int(1000, 1, 100_000, "most items (or keys) in one POST /mset, /mget or /mdel"),
  MAX_BATCH_BYTES: Int(16 * MiB, 1 * KiB, 1024 * MiB, "largest body of POST /mset, /mget or /mdel"),
  MAX_BACKLOG: Int(
    0,
    0,
    Number.MAX_SAFE_INTEGER,
    "writes not yet persisted above which writes answer 503 (0 = unlimited); each partition's share is MAX_BACKLOG / STREAM_PARTITIONS",
  ),
  // Not a timer: compared with the oldest entry's age in set.lua and incr.lua, as a Lua number
  // (exact up to 2^53 - 1).
  MAX_LAG_MS: Int(
    0,
    0,
    Number.MAX_SAFE_INTEGER,
    "age of the oldest unpersisted write above which writes answer 503 (0 = unlimited; else at least FLUSH_CLAIM_IDLE_MS + FLUSH_CLAIM_INTERVAL_MS)",
  ),
  REDIS_COMMAND_TIMEOUT_MS: Timer(2 * SECOND, 10, MINUTE, "a Redis command on the request path fails after this long"),
  REDIS_WAIT_REPLICAS: Int(
    0,
    0,
    64,
    "answer a write only once Redis's WAIT confirms this many replicas have it (0 = on the master's word); a failover then loses no acknowledged write",
  ),
  REDIS_WAIT_TIMEOUT_MS: Timer(1000, 1, MINUTE, "with REDIS_WAIT_REPLICAS: how long WAIT may take before the write answers 503 REPLICATION_TIMEOUT (it may still land)"),
  ADMIN_TOKEN: T.String({
    default: "",
    description:
      "Bearer token for /dead-letters*, /ui/data (and /metrics with METRICS_AUTH=admin); unset: those answer only requests made on this host to localhost, not through a proxy",
  }),
  API_TOKEN: T.String({ default: "", description: "Bearer token required on every data route (/set, /del, /incr, /mset, /mdel, /mget, /get, /status) when set" }),
  METRICS_AUTH: T.Union([T.Literal("none"), T.Literal("admin")], {
    default: "none",
    description: "none | admin: whether /metrics needs the admin token (or loopback)",
  }),
  SHUTDOWN_GRACE_MS: Timer(10 * SECOND, 0, 10 * MINUTE, "on SIGTERM, how long the flusher may drain before exit"),
  LOG_LEVEL: T.Union([T.Literal("debug"), T.Literal("info"), T.Literal("warn"), T.Literal("error")], {
    default: "info",
    description: "debug | info | warn | error",
  }),
});
export type Config = Static<typeof ConfigSchema>;

export class ConfigError extends Error {
  readonly code = "CONFIG_INVALID";
  constructor(readonly variable: string, detail: string) {
    super(`invalid ${variable}: ${detail}`);
  }
}

const INTEGER = /^-?\d+$/;
/** Text settings whose empty value means "off" rather than "use the default". */
const OPTIONAL_TEXT = new Set(["ADMIN_TOKEN", "API_TOKEN"]);

/** Reads the settings from `env`; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const raw: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(ConfigSchema.properties)) {
    const text = env[name];
    if (text === undefined || (text === "" && !OPTIONAL_TEXT.has(name))) continue;
    if (schema.type === "integer") {
      if (!INTEGER.test(text.trim())) throw new ConfigError(name, `expected an integer, got ${JSON.stringify(text)}`);
      raw[name] = Number(text.trim());
    } else if (schema.type === "boolean") {
      if (!/^(true|false)$/.test(text.trim())) throw new ConfigError(name, `expected true or false, got ${JSON.stringify(text)}`);
      raw[name] = text.trim() === "true";
    } else raw[name] = text;
  }
  const config = Value.Default(ConfigSchema, raw) as Config;
  const first = Value.Errors(ConfigSchema, config).First();
  if (first) throw new ConfigError(first.path.replace(/^\//, ""), first.message);
  // Unique per host and port, and the same after a restart there: a restarted instance takes
  // its partitions back at once instead of waiting for their leases to lapse (claim.lua).
  if (config.CONSUMER_NAME === "") config.CONSUMER_NAME = `${hostname()}-${config.PORT}`;
  if (config.REDIS_URL.includes(",")) config.REDIS_CLUSTER = true;
  checkCombinations(config);
  return config;
}

/** Rules between settings, each naming the variable to change. */
function checkCombinations(c: Config): void {
  // A dead instance's entries stay pending (and count as the oldest unpersisted write) until
  // another instance takes its partitions over, up to FLUSH_CLAIM_IDLE_MS + FLUSH_CLAIM_INTERVAL_MS later.
  // A smaller MAX_LAG_MS would make one crashed instance refuse writes on every instance.
  const takeoverWithin = c.FLUSH_CLAIM_IDLE_MS + c.FLUSH_CLAIM_INTERVAL_MS;
  if (c.MAX_LAG_MS > 0 && c.MAX_LAG_MS < takeoverWithin) {
    throw new ConfigError(
      "MAX_LAG_MS",
      `${c.MAX_LAG_MS} is below FLUSH_CLAIM_IDLE_MS + FLUSH_CLAIM_INTERVAL_MS (${takeoverWithin}): one crashed instance would make every instance refuse writes until its partitions are taken over; raise MAX_LAG_MS or lower FLUSH_CLAIM_IDLE_MS`,
    );
  }
}

export function helpText(): string {
  const rows = Object.entries(ConfigSchema.properties).map(
    ([name, s]) => `  ${name.padEnd(24)} ${String(s.default).padEnd(54)} ${s.description}`,
  );
  return [
    "writeback: a write-behind cache, Redis in front of Postgres.",
    "",
    "Usage: writeback [--help | healthcheck]    (settings come from the environment; healthcheck asks the local /health)",
    "",
    `  ${"VARIABLE".padEnd(24)} ${"DEFAULT".padEnd(54)} MEANING`,
    ...rows,
    "",
    `  ${"MIMALLOC_PURGE_DELAY".padEnd(24)} ${"-1 (set by writeback at start)".padEnd(54)} Bun's allocator keeps freed memory for reuse (less CPU, RSS stays at its high-water mark); 10 returns it to the system soon after it is freed`,
    "",
  ].join("\n");
}
