// The command line: parse the settings, start the service, stop it on SIGTERM/SIGINT.
// Exit codes: 0 stopped cleanly, 1 could not start (port in use), 2 bad configuration.
import { ConfigError, helpText, loadConfig, type Config } from "./config";
import { configureLog, log } from "./log";
import { PortInUseError, start } from "./start";

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
