// Wiring: config, connections, the HTTP server, the flusher threads, and signals.
import { connect, waitReady } from "./cache/redis";
import { ConfigError, helpText, loadConfig, type Config } from "./config";
import { FlusherPool } from "./flusher/pool";
import { createApp } from "./http/app";
import { keys } from "./keys";
import { configureLog, errorFields, log } from "./log";
import { Registry } from "./metrics";
import { checkRedisSafety } from "./safety";
import { connectDb } from "./store/db";

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  process.stdout.write(helpText());
  process.exit(0);
}

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`writeback: ${err.message} (see --help)\n`);
  process.exit(2);
}
configureLog(config.LOG_LEVEL);

const redis = connect(config.REDIS_URL, "api", config.REDIS_COMMAND_TIMEOUT_MS);
const db = connectDb({
  url: config.DATABASE_URL,
  max: 4,
  statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
  lockTimeoutMs: config.DB_LOCK_TIMEOUT_MS,
});
const flushers = new FlusherPool(config);
const state = { shuttingDown: false };
const app = createApp({ config, redis, db, keys: keys(config.KEY_PREFIX), metrics: new Registry(), flushers, state });

redis.once("ready", () => checkRedisSafety(redis));
flushers.start();
// Listen once the write path's Redis connection is up, so the first requests are not
// refused for a connection still being made. If Redis is down, listen anyway after the
// connect timeout: writes answer 503 REDIS_UNAVAILABLE and /ready says why.
await waitReady(redis, config.REDIS_COMMAND_TIMEOUT_MS).catch(() =>
  log.warn("Redis not reachable at start; listening anyway, writes answer 503 until it is"),
);
app.listen({ port: config.PORT, hostname: config.HOST });
log.info("writeback listening", { port: app.server?.port, flushWorkers: config.FLUSH_WORKERS });

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info("shutting down: refusing writes, draining the flusher", { signal, graceMs: config.SHUTDOWN_GRACE_MS });
  state.shuttingDown = true; // writes now answer 503 SHUTTING_DOWN
  await flushers.drain(config.SHUTDOWN_GRACE_MS);
  // Each step on its own: one failing must not keep the others from running.
  for (const [name, step] of [
    ["http", () => app.server?.stop(true)],
    ["redis", () => redis.quit()],
    ["postgres", () => db.end({ timeout: 1 })],
  ] as const) {
    try {
      await step();
    } catch (err) {
      log.warn("shutdown step failed", { step: name, ...errorFields(err) });
    }
  }
  log.info("stopped");
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
