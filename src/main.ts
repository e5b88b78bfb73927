// The command line: parse the settings, start the service, stop it on SIGTERM/SIGINT.
// Exit codes: 0 stopped cleanly, 1 could not start (port in use), 2 bad configuration.
// `writeback healthcheck` asks the local instance's /health instead (exit 0 healthy, 1 not):
// a container's HEALTHCHECK needs no curl.
import { command } from "./command";
import "./allocator"; // for its side effect, before anything else loads: may re-execute the process (allocator.ts)
import { ConfigError, helpText, loadConfig, type Config } from "./config";
import { configureLog, log } from "./log";
import { PortInUseError, start } from "./start";
import { mainThreadCrashPoint } from "./crash";

if (command === "help") {
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

if (command === "healthcheck") process.exit(await healthcheck(config));

const service = await start(config, {
  onFatal: (message) => {
    log.error("stopping: a setting can never work", { reason: message });
    process.stderr.write(`writeback: ${message}\n`);
    process.exit(2);
  },
}).catch((err) => {
  if (!(err instanceof PortInUseError)) throw err;
  log.error(err.message);
  process.stderr.write(`writeback: ${err.message}\n`);
  process.exit(1);
});
log.info("writeback listening", { port: service.port, flushWorkers: config.FLUSH_WORKERS });
// postgres.js 3.4.9 can throw from a socket callback when its connection is terminated under a
// pending write (TypeError ... 'write'), or leave a rejection unhandled when a connection is
// reset under one (ECONNRESET): outside any request, so either would end the process and every
// request with it (found by the model check's database cuts). The flusher threads contain the
// same (thread.ts); so does this one: counted, logged, its database client replaced.
process.on("uncaughtException", (err) => service.contain(err));
process.on("unhandledRejection", (err) => service.contain(err));
mainThreadCrashPoint();

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info("shutting down: refusing writes, draining the flusher", { signal, graceMs: config.SHUTDOWN_GRACE_MS });
  await service.stop();
  log.info("stopped");
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));

/** 0 when the instance on this host's PORT answers /health with 200 within 2 s, else 1. */
async function healthcheck(c: Config): Promise<number> {
  const host = c.HOST === "0.0.0.0" || c.HOST === "::" ? "127.0.0.1" : c.HOST;
  try {
    const r = await fetch(`http://${host.includes(":") ? `[${host}]` : host}:${c.PORT}/health`, { signal: AbortSignal.timeout(2000) });
    if (r.status === 200) return 0;
    process.stderr.write(`writeback healthcheck: /health answered ${r.status}: ${await r.text()}\n`);
  } catch (err) {
    process.stderr.write(`writeback healthcheck: ${(err as Error).message}\n`);
  }
  return 1;
}
